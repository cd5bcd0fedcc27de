package isotope

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/graph"
)

// svc is a service as isotope's defaults leave it (http, one replica).
func svc(name string, mod ...func(*graph.Service)) graph.Service {
	s := graph.Service{Name: name, Type: graph.TypeHTTP, Replicas: 1}
	for _, m := range mod {
		m(&s)
	}
	return s
}

func script(steps ...graph.Step) func(*graph.Service) {
	return func(s *graph.Service) { s.Script = steps }
}

func call(name string) graph.Step { return graph.Step{Call: &graph.Call{Service: name}} }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want *graph.Graph
		warn []string
	}{
		{"sleep", `
services:
- name: a
  isEntrypoint: true
  script:
  - sleep: 10ms
  - burn: 50us
`, &graph.Graph{Entry: "a", Services: []graph.Service{
			svc("a", script(graph.Step{Sleep: 10 * time.Millisecond}, graph.Step{Burn: 50 * time.Microsecond})),
		}}, nil},
		{"call with probability and size", `
services:
- name: a
  isEntrypoint: true
  script:
  - call: b
  - call:
      service: b
      size: 2 KB
      probability: 30
      extra-header: {x-version: v2}
- name: b
  responseSize: 1.5KiB
`, &graph.Graph{Entry: "a", Services: []graph.Service{
			svc("a", script(call("b"), graph.Step{Call: &graph.Call{Service: "b", RequestBytes: 2048, Probability: 30, Headers: map[string]string{"x-version": "v2"}}})),
			svc("b", func(s *graph.Service) { s.ResponseBytes = 1536 }),
		}}, nil},
		{"concurrency", `
services:
- name: d
  isEntrypoint: true
  script:
  - - call: a
    - call: c
  - call: b
- name: a
- name: b
- name: c
`, &graph.Graph{Entry: "d", Services: []graph.Service{
			svc("d", script(graph.Step{Concurrent: []graph.Step{call("a"), call("c")}}, call("b"))),
			svc("a"), svc("b"), svc("c"),
		}}, nil},
		{"errorRate", `
services:
- name: a
  isEntrypoint: true
  errorRate: 10%
- name: b
  errorRate: 0.25
`, &graph.Graph{Entry: "a", Services: []graph.Service{
			svc("a", func(s *graph.Service) { s.ErrorRate = 0.1 }),
			svc("b", func(s *graph.Service) { s.ErrorRate = 0.25 }),
		}}, nil},
		{"defaults", `
defaults:
  type: grpc
  numReplicas: 3
  errorRate: 1%
  responseSize: 1 KB
  requestSize: 512
  script:
  - call: leaf
  numRbacPolicies: 3
services:
- name: a
  isEntrypoint: true
  type: http
  script:
  - call: leaf
- name: b
- name: leaf
  script: []
  NumReplicas: 1
`, &graph.Graph{Entry: "a", Services: []graph.Service{
			{Name: "a", Type: graph.TypeHTTP, Replicas: 3, ErrorRate: 0.01, ResponseBytes: 1024,
				Script: []graph.Step{{Call: &graph.Call{Service: "leaf", RequestBytes: 512}}}},
			// isotope reads the default script before requestSize applies.
			{Name: "b", Type: graph.TypeGRPC, Replicas: 3, ErrorRate: 0.01, ResponseBytes: 1024,
				Script: []graph.Step{{Call: &graph.Call{Service: "leaf"}}}},
			{Name: "leaf", Type: graph.TypeGRPC, Replicas: 1, ErrorRate: 0.01, ResponseBytes: 1024, Script: []graph.Step{}},
		}}, []string{`t.yaml:10: defaults: key "numRbacPolicies" is ignored`}},
		{"namespaces and clusters", `
apiVersion: v1alpha1
services:
- name: a
  namespace: demo1
  cluster: cluster1
  isEntrypoint: true
  labels: {tier: front}
  script:
  - call:
      service: b
      hostname: b.demo2.svc.cluster.local:8080
- name: b
  namespace: demo2
  cluster: cluster2
`, &graph.Graph{Entry: "a", Services: []graph.Service{
			svc("a", func(s *graph.Service) { s.Namespace, s.Cluster = "demo1", "cluster1" }, script(call("b"))),
			svc("b", func(s *graph.Service) { s.Namespace, s.Cluster = "demo2", "cluster2" }),
		}}, []string{`t.yaml:2: topology: key "apiVersion" is ignored`, `t.yaml:12: services[0].script[0].call.hostname is not used`}},
		{"grpc", `
services:
- name: a
  type: grpc
  isEntrypoint: true
  script: [{call: b}]
- name: b
  type: grpc
`, &graph.Graph{Entry: "a", Services: []graph.Service{
			svc("a", func(s *graph.Service) { s.Type = graph.TypeGRPC }, script(call("b"))),
			svc("b", func(s *graph.Service) { s.Type = graph.TypeGRPC }),
		}}, nil},
		{"no entrypoint", `
services:
- name: x
- name: y
`, &graph.Graph{Entry: "x", Services: []graph.Service{svc("x"), svc("y")}},
			[]string{`t.yaml:3: no service has isEntrypoint: true; the load client calls the first, "x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse("t.yaml", []byte(tc.yaml))
			require.NoError(t, err)
			warnings := g.Warnings
			g.Warnings = nil
			assert.Equal(t, tc.want, g)
			require.Len(t, warnings, len(tc.warn), "%q", warnings)
			for i, w := range tc.warn {
				assert.Contains(t, warnings[i], w)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"undefined service", "services:\n- name: a\n  script:\n  - call: nope\n", `t.yaml:4: services[0].script: cannot call undefined service "nope"`},
		{"nested concurrency", "services:\n- name: a\n  script:\n  - - - call: a\n", "t.yaml:4: services[0].script[0][0]: concurrent commands may not be nested"},
		{"no name", "services:\n- type: http\n", "t.yaml:2: services[0].name: services must have a name"},
		{"bad type", "services:\n- name: a\n  type: tcp\n", `t.yaml:3: services[0].type: unknown service type "tcp"`},
		{"bad size", "services:\n- name: a\n  responseSize: 1 XB\n", `t.yaml:3: services[0].responseSize: "1 XB" is not a size`},
		{"bad rate", "services:\n- name: a\n  errorRate: 1.5\n", "t.yaml:3: services[0].errorRate: 1.5 is outside 0..100%"},
		{"rate without percent sign", "services:\n- name: a\n  errorRate: \"10\"\n", `t.yaml:3: services[0].errorRate: "10" is not a percentage`},
		{"bad probability", "services:\n- name: a\n  script:\n  - call: {service: a, probability: 101}\n", "t.yaml:4: services[0].script[0].call.probability: 101 is outside 0..100"},
		{"unknown command", "services:\n- name: a\n  script:\n  - jump: 1\n", `t.yaml:4: services[0].script[0]: unknown command "jump"`},
		{"two keys in a step", "services:\n- name: a\n  script:\n  - {sleep: 1ms, call: a}\n", "t.yaml:4: services[0].script[0]: a step is one of"},
		{"sleep not a string", "services:\n- name: a\n  script:\n  - sleep: 10\n", `t.yaml:4: services[0].script[0].sleep: "10" is not a duration string`},
		{"duplicate", "services:\n- name: a\n- name: a\n", `t.yaml:3: services[1].name: "a" appears twice`},
		{"cycle", "services:\n- name: a\n  script: [{call: b}]\n- name: b\n  script: [{call: a}]\n", "t.yaml: graph: cycle"},
		{"no services", "defaults: {}\n", "t.yaml:1: services: a topology needs services"},
		{"not yaml", "services: [\n", "t.yaml: "},
		{"split without versions", "services:\n- name: a\nsplits:\n- name: r\n", "t.yaml:4: splits[0].versions: a split needs at least one version"},
		{"split weight not a number", "services:\n- name: a\nsplits:\n- name: r\n  versions: [{service: a, weight: x}]\n", "t.yaml:5: splits[0].versions[0].weight"},
		{"split of an unknown service", "services:\n- name: a\n  script: [{call: r}]\nsplits:\n- {name: r, versions: [{service: b, weight: 1}]}\n", `t.yaml: graph.splits[0].versions[0].service: unknown service "b"`},
		{"call to an unknown split", "services:\n- name: a\n  script: [{call: r}]\n", `t.yaml:3: services[0].script: cannot call undefined service "r"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"1 KB": 1024, "1KB": 1024, "1k": 1024, "1kib": 1024, "10 MiB": 10 << 20,
		"1.5 KB": 1536, "512": 512, "512b": 512, "512 B": 512, "1g": 1 << 30} {
		got, ok := parseSize(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "KB", "1 KBB", "1  KB", "1 XB", "1kbit", "-1", "1 kb b", "3g"} {
		_, ok := parseSize(in)
		assert.False(t, ok, in)
	}
}

// TestParseSplits: the splits extension names weighted versions callers
// reach through one name.
func TestParseSplits(t *testing.T) {
	g, err := Parse("t.yaml", []byte(`services:
- name: front
  script: [{call: reviews}]
- name: v1
- name: v2
splits:
- name: reviews
  versions: [{service: v1, weight: 90}, {service: v2, weight: 10}]
`))
	require.NoError(t, err)
	assert.Equal(t, []graph.Split{{Name: "reviews", Versions: []graph.Version{{Service: "v1", Weight: 90}, {Service: "v2", Weight: 10}}}}, g.Splits)
	assert.Equal(t, []string{"reviews"}, g.Service("front").Callees())
	assert.InDelta(t, 0.9, g.Expect().Calls[graph.Edge{From: "reviews", To: "v1"}], 1e-9)
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "chain.yaml")
	require.NoError(t, os.WriteFile(p, []byte("services:\n- name: a\n  isEntrypoint: true\n  script: [{call: b}]\n- name: b\n"), 0o644))
	g, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, 1, g.Hops())
	_, err = Load(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorContains(t, err, "missing.yaml")
}
