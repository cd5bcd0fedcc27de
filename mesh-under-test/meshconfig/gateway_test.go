package meshconfig

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const gateways = `services:
  - {name: web, endpoints: [{address: 127.0.0.1:9001}]}
  - {name: ext, endpoints: [{address: 127.0.0.1:9002}]}
proxies:
  - id: ingress
    gateway:
      mode: ingress
      address: 127.0.0.1:8443
      servers:
        - hosts: [a.example.com]
          tls: {certFile: a.pem, keyFile: a-key.pem}
        - hosts: ["*"]
      routes:
        - {hosts: [a.example.com], match: {pathPrefix: /api}, service: web, timeout: 1s}
  - id: egress
    gateway: {mode: egress, address: 127.0.0.1:15090, allowedHosts: [ext]}
`

func TestParseGateways(t *testing.T) {
	m, err := Parse("mesh.yaml", []byte(gateways))
	require.NoError(t, err)
	in := m.Proxies[0].Gateway
	require.NotNil(t, in)
	assert.Equal(t, GatewayIngress, in.Mode)
	assert.Equal(t, "a.pem", in.Servers[0].TLS.CertFile)
	assert.Nil(t, in.Servers[1].TLS)
	assert.Equal(t, []string{"web"}, in.Services())
	assert.Equal(t, []string{"ext"}, m.Proxies[1].Gateway.Services())

	path := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, m.WriteFile(path))
	back, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, m, back)
}

func TestGatewayErrorsNameTheField(t *testing.T) {
	head := "services: [{name: web}, {name: db, protocol: tcp}]\nproxies:\n  - id: g\n    gateway:\n"
	cases := []struct {
		name, gw string
		want     []string
	}{
		{"mode", "      {mode: sideways, address: 127.0.0.1:1}\n", []string{"bad.yaml:5", "proxies[0].gateway.mode", `unknown mode "sideways"`}},
		{"address", "      {mode: egress, address: nowhere, allowedHosts: [web]}\n", []string{"proxies[0].gateway.address", "host:port"}},
		{"ingress without servers", "      {mode: ingress, address: 127.0.0.1:1}\n", []string{"proxies[0].gateway.servers", "at least one server"}},
		{"tls without key", "      mode: ingress\n      address: 127.0.0.1:1\n      servers: [{hosts: [a.example.com], tls: {certFile: a.pem}}]\n",
			[]string{"proxies[0].gateway.servers[0].tls", "keyFile"}},
		{"two plaintext servers", "      mode: ingress\n      address: 127.0.0.1:1\n      servers: [{hosts: [a]}, {hosts: [b]}]\n",
			[]string{"proxies[0].gateway.servers[1].tls", "at most one server without tls"}},
		{"bad SNI wildcard", "      mode: ingress\n      address: 127.0.0.1:1\n      servers: [{hosts: [a.*.com], tls: {certFile: a, keyFile: b}}]\n",
			[]string{"proxies[0].gateway.servers[0].hosts[0]", "*.suffix"}},
		{"host in two servers", "      mode: ingress\n      address: 127.0.0.1:1\n      servers:\n        - {hosts: [a.example.com], tls: {certFile: a, keyFile: b}}\n        - {hosts: [a.example.com], tls: {certFile: c, keyFile: d}}\n",
			[]string{"proxies[0].gateway.servers[1].hosts[0]", "already served by servers[0]"}},
		{"route to unknown service", "      mode: ingress\n      address: 127.0.0.1:1\n      servers: [{hosts: ['*']}]\n      routes: [{service: nope}]\n",
			[]string{"proxies[0].gateway.routes[0].service", `unknown service "nope"`}},
		{"egress without allowed hosts", "      {mode: egress, address: 127.0.0.1:1}\n", []string{"proxies[0].gateway.allowedHosts", "everything else is denied"}},
		{"egress allowing all", "      {mode: egress, address: 127.0.0.1:1, allowedHosts: ['*']}\n", []string{"proxies[0].gateway.allowedHosts[0]", "no policy"}},
		{"two ways out", "      {mode: egress, address: 127.0.0.1:1, allowedHosts: [web]}\n  - id: h\n    gateway: {mode: egress, address: 127.0.0.1:2, allowedHosts: [web]}\n",
			[]string{"proxies[1].gateway.allowedHosts[0]", "one way out per service"}},
		{"tcp way out", "      {mode: egress, address: 127.0.0.1:1, allowedHosts: [db]}\n",
			[]string{"proxies[0].gateway.allowedHosts[0]", "is tcp"}},
		{"egress with routes", "      {mode: egress, address: 127.0.0.1:1, allowedHosts: [web], routes: [{service: web}]}\n", []string{"proxies[0].gateway", "an egress gateway has allowedHosts"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(head+tc.gw))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestDocGatewayExampleParses: the gateway example in docs/meshconfig.md
// is a valid mesh file.
func TestDocGatewayExampleParses(t *testing.T) {
	_, here, _, ok := runtime.Caller(0)
	require.True(t, ok)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "docs", "meshconfig.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)## Gateways.*?```yaml\n(.*?)```").FindSubmatch(doc)
	require.Len(t, blocks, 2, "docs/meshconfig.md has a Gateways section with a yaml example")
	m, err := Parse("docs/meshconfig.md", blocks[1])
	require.NoError(t, err)
	var modes []string
	for _, p := range m.Proxies {
		if p.Gateway != nil {
			modes = append(modes, p.Gateway.Mode)
		}
	}
	assert.Equal(t, []string{GatewayIngress, GatewayEgress}, modes)
}
