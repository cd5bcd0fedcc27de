package meshconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
)

// credentialMesh is a gateway whose server names credential ref, and the
// credentials block creds.
func credentialMesh(ref, creds string) string {
	return "services: [{name: web}]\nproxies:\n  - id: g\n    gateway:\n      mode: ingress\n      address: 127.0.0.1:1\n" +
		"      servers: [{hosts: [a.example.com], tls: {" + ref + "}}]\n      routes: [{service: web}]\n" + creds
}

func indentPEM(p []byte) string {
	return "|\n      " + strings.ReplaceAll(strings.TrimSpace(string(p)), "\n", "\n      ")
}

func TestCredentials(t *testing.T) {
	ca, err := localca.New(time.Hour)
	require.NoError(t, err)
	cert, key, err := ca.IssueServer([]string{"a.example.com"}, time.Hour)
	require.NoError(t, err)
	_, otherKey, err := ca.IssueServer([]string{"b.example.com"}, time.Hour)
	require.NoError(t, err)
	cred := func(name string, c, k []byte) string {
		return "  - name: " + name + "\n    certificate: " + indentPEM(c) + "\n    privateKey: " + indentPEM(k) + "\n"
	}

	m, err := Parse("mesh.yaml", []byte(credentialMesh("credentialName: gw-a", "credentials:\n"+cred("gw-a", cert, key))))
	require.NoError(t, err)
	require.NotNil(t, m.Credential("gw-a"))
	assert.Equal(t, strings.TrimSpace(string(cert)), strings.TrimSpace(m.Credential("gw-a").Certificate))
	assert.Nil(t, m.Credential("nope"))

	for _, tc := range []struct {
		name, ref, creds string
		want             []string
	}{
		{"unknown credential", "credentialName: gw-x", "credentials:\n" + cred("gw-a", cert, key),
			[]string{"proxies[0].gateway.servers[0].tls.credentialName", `unknown credential "gw-x"`}},
		{"credential and files", "credentialName: gw-a, certFile: a.pem, keyFile: a-key.pem", "credentials:\n" + cred("gw-a", cert, key),
			[]string{"proxies[0].gateway.servers[0].tls", "exclusive"}},
		{"duplicate", "credentialName: gw-a", "credentials:\n" + cred("gw-a", cert, key) + cred("gw-a", cert, key),
			[]string{"credentials[1].name", `duplicate credential "gw-a"`}},
		{"reserved name", "credentialName: default", "credentials:\n" + cred("default", cert, key),
			[]string{"credentials[0].name", "workload's own certificate"}},
		{"key of another certificate", "credentialName: gw-a", "credentials:\n" + cred("gw-a", cert, otherKey),
			[]string{"credentials[0]", "private key does not match"}},
		{"not PEM", "credentialName: gw-a", "credentials:\n  - {name: gw-a, certificate: hello, privateKey: world}\n",
			[]string{"credentials[0]", "certificate and privateKey"}},
		{"missing key", "credentialName: gw-a", "credentials:\n  - {name: gw-a, certificate: hello}\n",
			[]string{"credentials[0]", "are required"}},
		{"no name", "credentialName: gw-a", "credentials:\n" + cred("gw-a", cert, key) + "  - {certificate: x, privateKey: y}\n",
			[]string{"credentials[1].name", "required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(credentialMesh(tc.ref, tc.creds)))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
