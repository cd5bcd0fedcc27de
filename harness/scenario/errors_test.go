package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/controlplane"
	"github.com/meshbench/meshbench/harness/gate/micro"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/resilience"
)

// TestLoadReportsEveryProblem: each bad file under testdata/ yields exactly
// these problems, all at once, each `FILE:LINE: field FIELD: MESSAGE` in
// YAML words (no Go type names). Lines are 1-based lines of the file.
func TestLoadReportsEveryProblem(t *testing.T) {
	const outside = " is outside 0..1 (a fraction of the base: 0.10 = 10%; -1 = report-only)"
	// The sections' fields belong to their packages and grow there.
	known := func(v any) string {
		names, _ := yamlFields(reflect.TypeOf(v))
		return "unknown field (known: " + strings.Join(names, ", ") + ")"
	}
	tests := []struct {
		file string
		want []string // LINE: field FIELD: MESSAGE, the file name left out
	}{
		{"unknown-field.yaml", []string{"7: field matrix.conections: unknown field (known: qps, connections, payload_bytes, protocol, mtls, telemetry)"}},
		{"telemetry-bad.yaml", []string{
			`6: field matrix.telemetry: several variants need "off", the reference their costs are measured against`,
			`6: field matrix.telemetry[1]: "traces-100" is not a telemetry variant (known: off, metrics, logs-sampled, logs-all, tracing-0, tracing-1, tracing-100)`,
			`6: field matrix.telemetry[2]: "metrics" is listed twice`,
			"8: field mesh.telemetry: conflicts with matrix.telemetry (each variant says whether metrics are on)",
		}},
		{"mesh-typo.yaml", []string{"7: field mesh.telemtry: unknown field (known: workers, telemetry, pinning)"}},
		{"bad-int.yaml", []string{`5: field repetitions: "three" is not an integer`}},
		{"bad-connections.yaml", []string{"7: field matrix.connections[1]: 0 is outside 1..4096"}},
		{"bad-lane.yaml", []string{`5: field lanes[1]: unknown lane "envoy" (known: none, mesh, mesh/both, mesh/clientonly, mesh/serveronly, mesh/ingress, mesh/ingress+both, haproxy, haproxy/ingress, haproxy/ingress+both, nginx, nginx/ingress, nginx/ingress+both, httputil, istio, istio/both, istio/clientonly, istio/serveronly, linkerd)`}},
		{"bad-duration.yaml", []string{`4: field duration: invalid duration "fast" (want Go syntax, e.g. 10s or 1m30s)`}},
		{"bad-kind.yaml", []string{`2: field kind: "synthetc" is not one of micro, synthetic, app, controlplane, resilience`}},
		{"load-clients.yaml", []string{"6: field matrix.connections[1]: 2 connections for 3 load clients: each client needs one"}},
		{"load-clients-range.yaml", []string{"6: field load.clients: 100 is outside 1..64"}},
		{"load-wire-clients.yaml", []string{"6: field load.wire: the wire capture needs one load client (load.clients is 2)"}},
		{"bad-graph.yaml", []string{`11: field graph.services[1].calls[0]: unknown service "nowhere"`}},
		{"wrong-shape.yaml", []string{
			"2: field kind: want a string, got a list",
			`3: field lanes: want a list, got "none"`,
			`5: field matrix: want a mapping (key: value), got "1000"`,
		}},
		{"duplicate-key.yaml", []string{"5: field duration: appears twice (first on line 4)"}},
		{"many-errors.yaml", []string{
			`4: field lanes[1]: unknown lane "envoy" (known: none, mesh, mesh/both, mesh/clientonly, mesh/serveronly, mesh/ingress, mesh/ingress+both, haproxy, haproxy/ingress, haproxy/ingress+both, nginx, nginx/ingress, nginx/ingress+both, httputil, istio, istio/both, istio/clientonly, istio/serveronly, linkerd)`,
			`5: field repetitions: "three" is not an integer`,
			`8: field matrix.connections[1]: "many" is not an integer`,
			"10: field mesh.telemtry: unknown field (known: workers, telemetry, pinning)",
			"12: field gate.p99: 7" + outside,
		}},
		// gate
		{"gate-threshold.yaml", []string{"7: field gate.p99: 7" + outside, "8: field gate.cpu_per_request: -0.5" + outside}},
		{"gate-unknown.yaml", []string{
			"5: field gate.p99s: " + known(verdict.Thresholds{}),
			`6: field gate.rounds: "many" is not an integer`,
		}},
		{"gate-range.yaml", []string{
			"5: field gate.alpha: 0.7 is outside (0, 0.5)",
			"6: field gate.rounds: 2 is below the minimum of 3",
			`7: field gate.reference: "client-proxy": want "app" or "loadgen" (a component that is the same code in base and candidate), or "none"`,
		}},
		// controlplane
		{"controlplane-bad.yaml", []string{
			"6: field controlplane.sizes[1]: services, endpoints and proxies must be positive",
			`7: field controlplane.churn_rate: "lots" is not a number`,
			"8: field controlplane.chnges: " + known(controlplane.Spec{}),
			`9: field controlplane.change_timeout: invalid duration "soon"`,
		}},
		{"controlplane-range.yaml", []string{
			"6: field controlplane.sizes[1]: services, endpoints and proxies must be positive",
			"7: field controlplane.churn_rate: must be within (0, 1000]",
			"8: field controlplane.policy_edit_percent: must be within 0-100",
			`9: field controlplane.control_planes[1]: unknown control plane "envoy-cp" (known: meshcontrol, istiod)`,
		}},
		// micro
		{"micro-bad.yaml", []string{
			"5: field micro.benchtme: " + known(micro.Spec{}),
			"6: field micro.count: 2 is below the minimum of 3 rounds",
		}},
		{"micro-range.yaml", []string{
			"4: field micro.packages: at least one package pattern is required",
			`5: field micro.benchtime: "often": want a duration or Nx (e.g. 100ms, 1000x)`,
			"6: field micro.count: 2 is below the minimum of 3 rounds",
		}},
		// resilience
		{"resilience-bad.yaml", []string{
			"6: field resilience.bucket: 1ms is outside 10ms..10s",
			`8: field resilience.faults[0].kind: "explode" is not one of kill, pause, abort, flood, slowloris, rotate, fail, restart`,
			`9: field resilience.faults[1].target: "database" is not one of control-plane, app, server-proxy, client-proxy`,
			"9: field resilience.faults[1].until: 6s must end before the run does (duration 5s), so that recovery is measured",
			"10: field resilience.faults[2].percent: 150 is outside (0, 100]",
			"12: field resilience.criteria.max_recovry: " + known(resilience.Criteria{}),
			"13: field resilience.criteria.max_error_rate_after: 5 is outside 0..1 (a fraction: 0.01 = 1%)",
		}},
		{"resilience-missing.yaml", []string{"1: field resilience: a resilience scenario needs this section (at least resilience.faults)"}},
		{"section-wrong-kind.yaml", []string{
			"5: field micro: only a scenario of kind micro has this section (kind is synthetic)",
			"7: field controlplane: only a scenario of kind controlplane has this section (kind is synthetic)",
		}},
		// syntax: the line is the line at fault, not yaml.v3's 0-based line
		// of the enclosing collection
		{"not-yaml.yaml", []string{`2: field lanes: "[" is never closed (did not find expected ',' or ']')`}},
		{"flow-unterminated.yaml", []string{`3: field lanes: "[" is never closed (did not find expected ',' or ']')`}},
		{"flow-nested-unterminated.yaml", []string{`7: field matrix.connections: "[" is never closed (did not find expected ',' or ']')`}},
		{"flow-map-unterminated.yaml", []string{`5: field mesh: "{" is never closed (did not find expected ',' or '}')`}},
		{"bad-indent.yaml", []string{"6: field matrix.connections: did not find expected key (check the indentation of this line against its siblings)"}},
		{"list-item.yaml", []string{"5: field lanes.mesh: did not find expected '-' indicator (a list item starts with '- ' at the list's indentation)"}},
		{"colon-value.yaml", []string{"2: field description: mapping values are not allowed in this context (quote a value that holds ': ', or check the indentation)"}},
		{"tab-indent.yaml", []string{"5: field matrix.qps: found character that cannot start any token (YAML indents with spaces, not tabs; quote a value that starts with @ or `)"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			_, err := Load(path)
			require.Error(t, err)
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = path + ":" + w
			}
			assert.Equal(t, strings.Join(want, "\n"), err.Error())
			var first *Error
			require.ErrorAs(t, err, &first, "every problem is an *Error")
			assert.Equal(t, path, first.File)
			assert.Equal(t, want[0], first.Error())
		})
	}
}

// TestEveryTestdataFileIsCovered keeps the table above and testdata/ in
// step: a bad file nobody checks proves nothing.
func TestEveryTestdataFileIsCovered(t *testing.T) {
	src, err := os.ReadFile("errors_test.go")
	require.NoError(t, err)
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		assert.Contains(t, string(src), `"`+filepath.Base(f)+`"`, "testdata file with no expectation")
	}
}

// errorForm is the form the README promises for every scenario error.
var errorForm = regexp.MustCompile(`^\S+\.yaml:[1-9]\d*: field [a-z0-9_]+(\[\d+\])?(\.[a-z0-9_]+(\[\d+\])?)*: \S`)

// TestEveryErrorNamesFileLineAndField: every problem of every bad file
// under testdata/, one per line, reads FILE:LINE: field FIELD: MESSAGE.
func TestEveryErrorNamesFileLineAndField(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		if filepath.Base(f) == "empty.yaml" {
			continue // nothing to name: "FILE:1: empty scenario"
		}
		_, err := Load(f)
		require.Error(t, err, f)
		for _, line := range strings.Split(err.Error(), "\n") {
			assert.Regexp(t, errorForm, line)
			assert.NotRegexp(t, `!!|scenario\.|\bint\b|float64|not found in type`, strings.TrimPrefix(line, f), "a Go type name leaked")
		}
	}
}

func TestLoadEmptyScenario(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "empty.yaml"))
	require.EqualError(t, err, filepath.Join("testdata", "empty.yaml")+":1: empty scenario")
}

// TestREADMEScenarioErrors: the scenario errors README.md shows are what
// Load prints for testdata/readme-example.yaml (the file name aside).
func TestREADMEScenarioErrors(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var shown []string
	for _, line := range strings.Split(string(readme), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "scenarios/x.yaml:") {
			shown = append(shown, strings.TrimPrefix(l, "scenarios/x.yaml:"))
		}
	}
	require.NotEmpty(t, shown, "README.md shows no scenario error")
	path := filepath.Join("testdata", "readme-example.yaml")
	_, err = Load(path)
	require.Error(t, err)
	assert.Equal(t, path+":"+strings.Join(shown, "\n"+path+":"), err.Error())
}
