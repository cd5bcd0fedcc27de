package metric_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

var allRoles = []string{results.RoleApp, results.RoleClientProxy, results.RoleLoadgen, results.RoleServerProxy}

func TestComparedInTableOrder(t *testing.T) {
	var names []string
	for _, m := range metric.Compared(allRoles) {
		names = append(names, m.Name)
	}
	assert.Equal(t, []string{
		"latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_p999_ms",
		"latency_scheduled_p50_ms", "latency_scheduled_p99_ms",
		"cpu_us_per_request/proxies", "rss_bytes_steady/proxies", "rss_anon_bytes_steady/proxies",
		"working_set_bytes_steady/proxies",
		"cpu_us_per_request/app", "rss_bytes_peak/app",
		"cpu_us_per_request/client-proxy", "rss_bytes_peak/client-proxy",
		"cpu_us_per_request/loadgen", "rss_bytes_peak/loadgen",
		"cpu_us_per_request/server-proxy", "rss_bytes_peak/server-proxy",
		"instructions_per_request/proxies",
	}, names)
}

// The scenario's gate settings are overrides keyed by the catalog: every
// key names a setting, an unset one yields the catalog's default, and the
// default agrees with what verdict.Normalize fills in.
func TestThresholdsAreOverridesKeyedByTheCatalog(t *testing.T) {
	norm, err := verdict.Thresholds{}.Normalize()
	require.NoError(t, err)
	gated := map[string]float64{}
	for _, m := range metric.Compared(allRoles) {
		assert.NotPanics(t, func() { m.Threshold(verdict.Thresholds{}); m.AbsFloor(verdict.Thresholds{}) }, m.Name)
		assert.Equal(t, m.Threshold(norm), m.Threshold(verdict.Thresholds{}), "%s: default vs Normalize", m.Name)
		assert.Equal(t, m.AbsFloor(norm), m.AbsFloor(verdict.Thresholds{}), m.Name)
		if m.Gated() {
			gated[m.Name] = m.Threshold(verdict.Thresholds{})
		}
	}
	assert.Equal(t, map[string]float64{"latency_p50_ms": 0.05, "latency_p90_ms": 0.05, "latency_p99_ms": 0.10,
		"cpu_us_per_request/proxies": 0.03, "rss_bytes_steady/proxies": 0.05, "instructions_per_request/proxies": 0.03}, gated,
		"the starting thresholds of shared/GATE.md")

	over := verdict.Thresholds{P50: 0.2, P999: 0.3, CPUPerRequest: 0.07, RSSAbsBytes: 1 << 20}
	tests := []struct {
		name        string
		th, floor   float64
		wantCompare bool
	}{
		{"latency_p50_ms", 0.2, 0, true},
		{"latency_p90_ms", 0.05, 0, true},
		{"latency_p999_ms", 0.3, 0, true}, // report-only unless set
		{"latency_max_ms", -1, 0, false},
		{"cpu_us_per_request/proxies", 0.07, 0, true},
		{"instructions_per_request/proxies", 0.07, 0, true},
		{"rss_bytes_steady/proxies", 0.05, 1 << 20, true},
		{"cpu_us_per_request/app", -1, 0, true},
		{"latency_scheduled_p99_ms", -1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := metric.Lookup(tt.name)
			require.True(t, ok)
			assert.Equal(t, tt.th, m.Threshold(over))
			assert.Equal(t, tt.floor, m.AbsFloor(over))
			assert.Equal(t, tt.wantCompare, m.Gate.Compared)
		})
	}
}

func TestGetters(t *testing.T) {
	r := &results.Result{Requests: 10, Latency: results.Percentiles{P50: 1, P999: 4},
		Components: []results.Component{
			{Role: results.RoleServerProxy, CPUUsPerRequest: 50, RSSBytesSteady: 10, InstructionsPerRequest: 0},
			{Role: results.RoleServerProxy, CPUUsPerRequest: 10, RSSBytesSteady: 5}, // a second sidecar
			{Role: results.RoleClientProxy, CPUUsPerRequest: 40, RSSBytesSteady: 7},
		}}
	proxies := metric.ProxyRoles()
	tests := []struct {
		m      metric.Metric
		want   float64
		wantOK bool
	}{
		{metric.Latency()[0], 1, true},
		{metric.CPU(results.RoleServerProxy), 60, true},
		{metric.CPU(results.RoleApp), 0, false},
		{metric.ProxyCPU(proxies), 100, true},
		{metric.ProxyRSSSteady(proxies), 22, true},
		{metric.ProxyInstructions(proxies), 0, false}, // not measured
		{metric.Scheduled()[1], 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.m.Name, func(t *testing.T) {
			v, ok := tt.m.Get(r)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, v)
		})
	}
	_, ok := metric.Latency()[0].Get(&results.Result{})
	assert.False(t, ok, "a run without requests has no latency")
}

func TestAdjustApplies(t *testing.T) {
	var adjust []string
	for _, m := range metric.Compared(allRoles) {
		if m.Adjust {
			adjust = append(adjust, m.Name)
		}
	}
	assert.Equal(t, []string{"latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "cpu_us_per_request/proxies"}, adjust,
		"p99.9 (report-only) and memory (does not scale with speed) stay raw")
}

// The short tables (terminal summary, summary.md, the latency plots drawn
// two by two) show these percentiles.
func TestShortLatency(t *testing.T) {
	var labels []string
	for _, m := range metric.Short(metric.Latency()) {
		labels = append(labels, m.Label)
	}
	assert.Equal(t, []string{"p50", "p90", "p99", "p99.9"}, labels)
	assert.Equal(t, []string{"latency_p50_ms", "latency_p90_ms", "latency_p99_ms"},
		[]string{metric.P50().Name, metric.P90().Name, metric.P99().Name})
}

// Scale multiplies its own metric and no other quantity: the study's
// synthetic effects would otherwise shift metrics they do not name.
func TestScale(t *testing.T) {
	fresh := func() *results.Result {
		return &results.Result{Requests: 10, Latency: results.Percentiles{P50: 1, P90: 2, P99: 3, P999: 4},
			Components: []results.Component{
				{Role: results.RoleClientProxy, CPUUsPerRequest: 10, RSSBytesSteady: 100},
				{Role: results.RoleServerProxy, CPUUsPerRequest: 30, RSSBytesSteady: 300},
				{Role: results.RoleApp, CPUUsPerRequest: 50, RSSBytesSteady: 500},
			}}
	}
	for _, name := range []string{"latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_p999_ms",
		"cpu_us_per_request/proxies", "rss_bytes_steady/proxies"} {
		t.Run(name, func(t *testing.T) {
			m, ok := metric.Lookup(name)
			require.True(t, ok)
			require.NotNil(t, m.Scale)
			r := fresh()
			before, _ := m.Get(r)
			m.Scale(r, 1.5)
			after, _ := m.Get(r)
			assert.InDelta(t, 1.5*before, after, 1e-9)
			base, _, _ := strings.Cut(name, "/")
			for _, other := range metric.Compared(allRoles) {
				if o, role, _ := strings.Cut(other.Name, "/"); other.Name == name || o == base && slices.Contains(metric.ProxyRoles(), role) {
					continue // the same quantity of one proxy moves with the sum
				}
				want, _ := other.Get(fresh())
				got, _ := other.Get(r)
				assert.Equal(t, want, got, "%s moved when %s was scaled", other.Name, name)
			}
		})
	}
	m, ok := metric.Lookup("instructions_per_request/proxies")
	require.True(t, ok)
	assert.Nil(t, m.Scale, "a metric without a scale is left out of the study")
}

func TestErrorRate(t *testing.T) {
	tests := []struct {
		name             string
		requests, errors int64
		want             float64
	}{
		{"some errors", 1000, 5, 0.005},
		{"none", 1000, 0, 0},
		{"no request completed counts as all errors", 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := metric.ErrorRate().Get(&results.Result{Requests: tt.requests, Errors: tt.errors})
			assert.True(t, ok)
			assert.InDelta(t, tt.want, v, 1e-12)
		})
	}
	m, ok := metric.Lookup("error_rate")
	require.True(t, ok)
	assert.Equal(t, verdict.DefaultErrorRate, m.Threshold(verdict.Thresholds{}))
}

func TestGatedKeepsCatalogOrder(t *testing.T) {
	var names []string
	for _, m := range metric.Gated(metric.Compared(allRoles)) {
		names = append(names, m.Name)
	}
	assert.Equal(t, []string{"latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
		"cpu_us_per_request/proxies", "rss_bytes_steady/proxies", "instructions_per_request/proxies"}, names)
}

// Memory is named, never substituted: a kube result (the kubelet has a
// working set and anonymous memory, no resident set) has no RSS rather
// than an RSS of 0, and its working set is its own metric.
func TestMemoryFiguresAreNamedApart(t *testing.T) {
	proxies := []string{results.RoleClientProxy, results.RoleServerProxy}
	kube := &results.Result{Components: []results.Component{
		{Role: results.RoleClientProxy, WorkingSetBytesSteady: 10 << 20, RSSAnonBytesSteady: 8 << 20},
		{Role: results.RoleServerProxy, WorkingSetBytesSteady: 11 << 20, RSSAnonBytesSteady: 9 << 20}}}
	local := &results.Result{Components: []results.Component{
		{Role: results.RoleClientProxy, RSSBytesSteady: 30 << 20, RSSAnonBytesSteady: 8 << 20},
		{Role: results.RoleServerProxy, RSSBytesSteady: 31 << 20, RSSAnonBytesSteady: 9 << 20}}}
	tests := []struct {
		name   string
		m      metric.Metric
		r      *results.Result
		want   float64
		wantOK bool
	}{
		{"kube rss", metric.ProxyRSSSteady(proxies), kube, 0, false},
		{"kube working set", metric.ProxyWorkingSet(proxies), kube, 21 << 20, true},
		{"kube anon", metric.ProxyRSSAnon(proxies), kube, 17 << 20, true},
		{"local rss", metric.ProxyRSSSteady(proxies), local, 61 << 20, true},
		{"local working set", metric.ProxyWorkingSet(proxies), local, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := tt.m.Get(tt.r)
			assert.Equal(t, tt.wantOK, ok)
			if ok {
				assert.InDelta(t, tt.want, v, 0.5)
			}
		})
	}
}

// The kernel part of CPU is reported, never gated: no gate row, no
// threshold, and absent (not 0) where a component's source cannot split.
func TestKernelShareIsReportedNeverGated(t *testing.T) {
	roles := append(metric.ProxyRoles(), results.RoleControlPlane, results.RoleApp, results.RoleLoadgen)
	for _, m := range metric.Compared(roles) {
		assert.NotContains(t, m.Name, "system", "the gate compares no kernel figure")
		assert.NotContains(t, m.Name, "kernel")
	}
	for _, role := range roles {
		for _, m := range []metric.Metric{metric.CPUSystem(role), metric.KernelShare(role)} {
			assert.False(t, m.Gated(), m.Name)
			assert.False(t, m.Gate.Compared, m.Name)
			_, found := metric.Lookup(m.Name)
			assert.False(t, found, "%s is not a gate metric", m.Name)
		}
	}
	sys := func(v float64) *float64 { return &v }
	tests := []struct {
		name       string
		comps      []results.Component
		sys, share float64
		ok         bool
	}{
		{"one proxy", []results.Component{{Role: results.RoleClientProxy, CPUUsPerRequest: 80, CPUSystemUsPerRequest: sys(56)}}, 56, 70, true},
		{"a role's components summed", []results.Component{
			{Role: results.RoleClientProxy, CPUUsPerRequest: 80, CPUSystemUsPerRequest: sys(60)},
			{Role: results.RoleClientProxy, CPUUsPerRequest: 20, CPUSystemUsPerRequest: sys(0)}}, 60, 60, true},
		{"kubelet: absent, not 0", []results.Component{{Role: results.RoleClientProxy, CPUUsPerRequest: 80, CPUSplitAbsent: "kubelet"}}, 0, 0, false},
		{"one component without the split: absent", []results.Component{
			{Role: results.RoleClientProxy, CPUUsPerRequest: 80, CPUSystemUsPerRequest: sys(60)},
			{Role: results.RoleClientProxy, CPUUsPerRequest: 20}}, 0, 0, false},
		{"no such role", []results.Component{{Role: results.RoleApp, CPUUsPerRequest: 80, CPUSystemUsPerRequest: sys(60)}}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &results.Result{Components: tt.comps}
			v, ok := metric.CPUSystem(results.RoleClientProxy).Get(r)
			assert.Equal(t, tt.ok, ok)
			assert.InDelta(t, tt.sys, v, 1e-9)
			s, ok := metric.KernelShare(results.RoleClientProxy).Get(r)
			assert.Equal(t, tt.ok, ok)
			assert.InDelta(t, tt.share, s, 1e-9)
		})
	}
	_, ok := metric.KernelShare(results.RoleClientProxy).Get(&results.Result{Components: []results.Component{{Role: results.RoleClientProxy, CPUSystemUsPerRequest: sys(0)}}})
	assert.False(t, ok, "no CPU at all: no share")
}
