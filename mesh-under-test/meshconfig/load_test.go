package meshconfig

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const good = `revision: 3
services:
  - name: echo
    port: 8080
    endpoints:
      - address: 127.0.0.1:9001
        labels: {version: v1}
      - address: 127.0.0.1:9002
        labels: {version: v2}
proxies:
  - id: client
    outbound:
      - address: 127.0.0.1:15001
        service: echo
policy:
  mtls: strict
  destinations:
    - service: echo
      loadBalancer: least_request
      subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
  routes:
    - service: echo
      rules:
        - match: {pathPrefix: /api}
          split: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
          timeout: 250ms
          retries: {attempts: 2, perTryTimeout: 100ms}
`

func TestParseGood(t *testing.T) {
	m, err := Parse("mesh.yaml", []byte(good))
	require.NoError(t, err)
	assert.Equal(t, int64(3), m.Revision)
	assert.Equal(t, "cluster.local", m.TrustDomain)
	assert.Equal(t, "default", m.Services[0].Namespace)
	assert.Equal(t, ProtocolHTTP, m.Services[0].Protocol)
	assert.Equal(t, uint32(1), m.Services[0].Endpoints[0].Weight)
	assert.Equal(t, "spiffe://cluster.local/ns/default/sa/client", m.Proxies[0].Identity)
	assert.Equal(t, 250*time.Millisecond, m.Policy.Routes[0].Rules[0].Timeout.D())

	// Round trip through the encoder the harness uses.
	dir := t.TempDir()
	path := filepath.Join(dir, "mesh.yaml")
	require.NoError(t, m.WriteFile(path))
	back, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, m, back)
}

func TestParseErrorsNameFileLineField(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"unknown field", "services:\n  - name: a\n    retires: 3\n", []string{"bad.yaml:3", "retires"}},
		{"wrong type", "services:\n  - name: a\n    port: eighty\n", []string{"bad.yaml:3", "eighty"}},
		{"bad duration", "services: [{name: a}]\npolicy:\n  routes:\n    - service: a\n      rules:\n        - timeout: soon\n", []string{"bad.yaml:6", "invalid duration"}},
		{"bad address", "services:\n  - name: a\n    endpoints:\n      - address: nowhere\n", []string{"bad.yaml:4", "services[0].endpoints[0].address", "host:port"}},
		{"unknown service", "services: [{name: a}]\nproxies:\n  - id: p\n    egress: [a, b]\n", []string{"bad.yaml:4", "proxies[0].egress[1]", `unknown service "b"`}},
		{"duplicate", "services:\n  - name: a\n  - name: a\n", []string{"bad.yaml:3", "services[1].name", "duplicate"}},
		{"undeclared subset", "services: [{name: a}]\npolicy:\n  routes:\n    - service: a\n      rules:\n        - split: [{subset: v9, weight: 1}]\n", []string{"policy.routes[0].rules[0].split[0].subset", "v9"}},
		{"mtls mode", "services: [{name: a}]\npolicy: {mtls: sometimes}\n", []string{"bad.yaml:2", "policy.mtls"}},
		{"empty", "", []string{"empty mesh file"}},
		{"duplicate authorization", "services: [{name: a}]\npolicy:\n  authorization:\n    - {service: a, allow: [{paths: [/x]}]}\n    - {service: a, allow: [{paths: [/y]}]}\n",
			[]string{"policy.authorization[1].service", "already has an authorization entry (policy.authorization[0])"}},
		{"unknown retry condition", "services: [{name: a}]\npolicy:\n  routes:\n    - service: a\n      rules:\n        - retries: {attempts: 1, on: \"unavailable,unavailble\"}\n",
			[]string{"bad.yaml:6", "policy.routes[0].rules[0].retries.on", `unknown retry condition "unavailble"`, "known: 5xx"}},
		{"authorization without rules", "services: [{name: a}]\npolicy:\n  authorization:\n    - {service: a}\n", []string{"policy.authorization[0]", "allow or deny"}},
		{"duplicate rate limit", "services: [{name: a}]\npolicy:\n  rateLimits:\n    - {service: a, requestsPerSecond: 1}\n    - {service: a, requestsPerSecond: 2}\n",
			[]string{"policy.rateLimits[1].service", "already has a rate limit"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.doc))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestJSONRoundTripAndErrors(t *testing.T) {
	m, err := Parse("mesh.yaml", []byte(good))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "mesh.json")
	require.NoError(t, m.WriteFile(path))
	back, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, m, back)

	_, err = Parse("bad.json", []byte("{\n  \"services\": [{\"name\": \"a\",\n  \"retires\": 3}]}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.json:3")
	assert.Contains(t, err.Error(), "retires")
	_, err = Parse("bad.json", []byte(`{"services": [{"name": "a", "endpoints": [{"address": "x"}]}]}`))
	require.ErrorContains(t, err, "services[0].endpoints[0].address")
}
