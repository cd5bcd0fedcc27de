package metric

import (
	"slices"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// Proxies is the name suffix of a metric summed over the data-path proxies
// ("cpu_us_per_request/proxies"): the cost the mesh adds, and the one the
// gate guards. Summing both proxies also shrinks the Holm family and
// averages out per-process tick noise.
const Proxies = "proxies"

// ProxyRoles are the components the mesh adds to the data path (an
// ingress gateway is one, in the lanes that have it).
func ProxyRoles() []string {
	return []string{results.RoleClientProxy, results.RoleServerProxy, results.RoleGateway}
}

func latency(name, label string, pick func(*results.Percentiles) *float64, gate Gate, adjust, short bool) Metric {
	return Metric{Name: name, Label: label, Unit: "ms", Gate: gate, Adjust: adjust, Short: short,
		Get:   func(r *results.Result) (float64, bool) { return *pick(&r.Latency), r.Requests > 0 },
		Scale: func(r *results.Result, f float64) { *pick(&r.Latency) *= f }}
}

// P50, P90 and P99 are the service-time percentiles the gate decides on
// and the overhead over `none` is stated in.
func P50() Metric {
	return latency("latency_p50_ms", "p50", func(p *results.Percentiles) *float64 { return &p.P50 },
		Gate{Compared: true, Key: "p50", Default: verdict.DefaultP50}, true, true)
}

// P90: see P50.
func P90() Metric {
	return latency("latency_p90_ms", "p90", func(p *results.Percentiles) *float64 { return &p.P90 },
		Gate{Compared: true, Key: "p90", Default: verdict.DefaultP90}, true, true)
}

// P99: see P50.
func P99() Metric {
	return latency("latency_p99_ms", "p99", func(p *results.Percentiles) *float64 { return &p.P99 },
		Gate{Compared: true, Key: "p99", Default: verdict.DefaultP99}, true, true)
}

// P999 is report-only until its measured minimum detectable effect is
// small enough to gate (docs/gate.md); a scenario may gate it.
func P999() Metric {
	return latency("latency_p999_ms", "p99.9", func(p *results.Percentiles) *float64 { return &p.P999 },
		Gate{Compared: true, Key: "p999", Default: -1}, false, true)
}

// Latency lists the service-time percentiles (from when each request was
// sent), in column order.
func Latency() []Metric {
	return []Metric{
		P50(),
		latency("latency_p75_ms", "p75", func(p *results.Percentiles) *float64 { return &p.P75 }, Gate{}, false, false),
		P90(),
		P99(),
		P999(),
		latency("latency_max_ms", "max", func(p *results.Percentiles) *float64 { return &p.Max }, Gate{}, false, false),
	}
}

func scheduled(name, label string, pick func(*results.Percentiles) *float64, short bool) Metric {
	return Metric{Name: name, Label: label, Unit: "ms", Gate: Gate{Compared: true}, Short: short,
		Get: func(r *results.Result) (float64, bool) {
			if r.LatencyScheduled == nil {
				return 0, false
			}
			return *pick(r.LatencyScheduled), true
		}}
}

// Scheduled lists the intended-time percentiles (from when the schedule
// said each request should start), reported only.
func Scheduled() []Metric {
	return []Metric{
		scheduled("latency_scheduled_p50_ms", "sched. p50", func(p *results.Percentiles) *float64 { return &p.P50 }, false),
		scheduled("latency_scheduled_p99_ms", "sched. p99", func(p *results.Percentiles) *float64 { return &p.P99 }, true),
	}
}

func wire(name, label string, pick func(*results.Percentiles) *float64) Metric {
	return Metric{Name: name, Label: label, Unit: "ms",
		Get: func(r *results.Result) (float64, bool) {
			if r.LatencyWire == nil {
				return 0, false
			}
			return *pick(r.LatencyWire), true
		}}
}

// Wire lists the latency percentiles on the loopback wire (load.wire),
// reported beside the client's own: the difference is the client's
// overhead.
func Wire() []Metric {
	return []Metric{
		wire("latency_wire_p50_ms", "wire p50", func(p *results.Percentiles) *float64 { return &p.P50 }),
		wire("latency_wire_p90_ms", "wire p90", func(p *results.Percentiles) *float64 { return &p.P90 }),
		wire("latency_wire_p99_ms", "wire p99", func(p *results.Percentiles) *float64 { return &p.P99 }),
	}
}

// QPS is the achieved request rate.
func QPS() Metric {
	return Metric{Name: "achieved_qps", Label: "qps", Unit: "rps",
		Get: func(r *results.Result) (float64, bool) { return r.AchievedQPS, true }}
}

// component is a per-component field, summed per run over every component
// of roles; named name/suffix. positive: a zero sum means "not measured"
// (older results lack the field).
func component(name, suffix, label, unit string, roles []string, field func(*results.Component) float64, positive bool) Metric {
	roles = slices.Clone(roles)
	return Metric{Name: name + "/" + suffix, Label: label, Unit: unit, Get: func(r *results.Result) (float64, bool) {
		total, found := 0.0, false
		for i := range r.Components {
			if slices.Contains(roles, r.Components[i].Role) {
				total += field(&r.Components[i])
				found = true
			}
		}
		return total, found && (!positive || total > 0)
	}}
}

func cpuUs(c *results.Component) float64     { return c.CPUUsPerRequest }
func vcpu(c *results.Component) float64      { return c.VCPUPer1000RPS }
func rssSteady(c *results.Component) float64 { return float64(c.RSSBytesSteady) }
func rssPeak(c *results.Component) float64   { return float64(c.RSSBytesPeak) }
func rssWindowPeak(c *results.Component) float64 {
	return float64(c.RSSBytesWindowPeak)
}
func rssAnon(c *results.Component) float64 { return float64(c.RSSAnonBytesSteady) }
func workingSet(c *results.Component) float64 {
	return float64(c.WorkingSetBytesSteady)
}
func pss(c *results.Component) float64   { return float64(c.PSSBytesSteady) }
func instr(c *results.Component) float64 { return c.InstructionsPerRequest }

// CPU is the CPU microseconds per completed request of role, reported only.
func CPU(role string) Metric {
	m := component("cpu_us_per_request", role, "µs CPU / request", "µs", []string{role}, cpuUs, false)
	m.Gate.Compared = true
	return m
}

// kernel sums role's CPU per request and its kernel part over the role's
// components; ok only when every one of them has the split (a sum of some
// would read as a smaller kernel part, not as a missing one).
func kernel(r *results.Result, role string) (sys, total float64, ok bool) {
	found := false
	for i := range r.Components {
		c := &r.Components[i]
		if c.Role != role {
			continue
		}
		if c.CPUSystemUsPerRequest == nil {
			return 0, 0, false
		}
		sys, total, found = sys+*c.CPUSystemUsPerRequest, total+c.CPUUsPerRequest, true
	}
	return sys, total, found
}

// CPUSystem is role's kernel (system) CPU microseconds per completed
// request: syscalls, the TCP stack, context switches, which no user-space
// work on the component removes. Reported, never gated (not in Compared);
// absent where the CPU source cannot split (the kubelet).
func CPUSystem(role string) Metric {
	return Metric{Name: "cpu_system_us_per_request/" + role, Label: "kernel µs CPU / request", Unit: "µs",
		Get: func(r *results.Result) (float64, bool) {
			sys, _, ok := kernel(r, role)
			return sys, ok
		}}
}

// KernelShare is role's kernel share of its CPU per request, in percent:
// reported, never gated; absent where the source cannot split or the
// component used no CPU.
func KernelShare(role string) Metric {
	return Metric{Name: "cpu_kernel_share_pct/" + role, Label: "kernel share", Unit: "%",
		Get: func(r *results.Result) (float64, bool) {
			sys, total, ok := kernel(r, role)
			if !ok || total <= 0 {
				return 0, false
			}
			return 100 * sys / total, true
		}}
}

// VCPU is the vCPU per 1000 rps of role (1.0: one core busy per 1000
// requests/s).
func VCPU(role string) Metric {
	return component("vcpu_per_1000rps", role, "vCPU / 1000 rps", "vCPU", []string{role}, vcpu, false)
}

// RSSSteady is role's steady RSS (the median of its samples over the
// measured window).
func RSSSteady(role string) Metric {
	return component("rss_bytes_steady", role, "RSS steady", "B", []string{role}, rssSteady, false)
}

// RSSPeak is role's peak RSS over the measured window, reported only.
func RSSPeak(role string) Metric {
	m := component("rss_bytes_peak", role, "RSS peak", "B", []string{role}, rssPeak, false)
	m.Gate.Compared = true
	return m
}

// RSSWindowPeak is role's highest RSS sampled in the measured window, beside
// RSSPeak (the lifetime high-water mark, start-up included where the source
// knows it); reported only, absent when not recorded.
func RSSWindowPeak(role string) Metric {
	return component("rss_bytes_window_peak", role, "RSS window peak", "B", []string{role}, rssWindowPeak, true)
}

// PSSSteady is role's steady proportional set size (shared pages divided
// among the processes mapping them); 0 when not measured.
func PSSSteady(role string) Metric {
	return component("pss_bytes_steady", role, "PSS steady", "B", []string{role}, pss, false)
}

// RSSAnon is role's steady anonymous RSS (heap and stacks: what the
// process allocated, independent of the page cache), reported only.
func RSSAnon(role string) Metric {
	return component("rss_anon_bytes_steady", role, "anon RSS steady", "B", []string{role}, rssAnon, true)
}

// ProxyCPU is the CPU per request of the proxies present, summed: gated.
func ProxyCPU(proxies []string) Metric {
	m := component("cpu_us_per_request", Proxies, "µs CPU / request", "µs", proxies, cpuUs, false)
	m.Gate, m.Adjust = Gate{Compared: true, Key: "cpu_per_request", Default: verdict.DefaultCPUPerRequest}, true
	// Each proxy's share scaled alike scales the sum by f.
	m.Scale = scaleComponents(proxies, func(c *results.Component, f float64) { c.CPUUsPerRequest *= f })
	return m
}

// ProxyRSSSteady is the steady RSS of the proxies present, summed: gated,
// with an absolute floor (a 2 MiB change is noise whatever the percentage).
func ProxyRSSSteady(proxies []string) Metric {
	// positive: a platform that cannot see RSS (kube) has none, not 0
	m := component("rss_bytes_steady", Proxies, "RSS steady", "B", proxies, rssSteady, true)
	m.Gate = Gate{Compared: true, Key: "rss", Default: verdict.DefaultRSS, FloorKey: "rss_abs_bytes", FloorDefault: verdict.DefaultRSSAbsBytes}
	m.Scale = scaleComponents(proxies, func(c *results.Component, f float64) {
		c.RSSBytesSteady = int64(float64(c.RSSBytesSteady) * f)
	})
	return m
}

// ProxyRSSAnon is the steady anonymous RSS of the proxies present, summed:
// reported only.
func ProxyRSSAnon(proxies []string) Metric {
	m := component("rss_anon_bytes_steady", Proxies, "anon RSS steady", "B", proxies, rssAnon, true)
	m.Gate.Compared = true
	return m
}

// ProxyWorkingSet is the steady cgroup working set of the proxies present,
// summed (where there is cgroup memory accounting: kind, kube): reported
// only, beside RSS, so a reader sees which memory is which.
func ProxyWorkingSet(proxies []string) Metric {
	m := component("working_set_bytes_steady", Proxies, "working set steady", "B", proxies, workingSet, true)
	m.Gate.Compared = true
	return m
}

// ProxyInstructions is the instructions per request of the proxies present
// (callgrind), summed: gated at the CPU threshold when measured.
func ProxyInstructions(proxies []string) Metric {
	m := component("instructions_per_request", Proxies, "instructions / request", "instr", proxies, instr, true)
	m.Gate = Gate{Compared: true, Key: "cpu_per_request", Default: verdict.DefaultCPUPerRequest}
	return m
}

// scaleComponents scales one field of every component of roles.
func scaleComponents(roles []string, field func(*results.Component, float64)) func(*results.Result, float64) {
	roles = slices.Clone(roles)
	return func(r *results.Result, f float64) {
		for i := range r.Components {
			if slices.Contains(roles, r.Components[i].Role) {
				field(&r.Components[i], f)
			}
		}
	}
}

// ErrorRate is a run's errors per request (a run with no completed
// request failed outright and counts as 1). The gate compares it over
// every usable or failed run of a side, with an absolute threshold, in a
// row of its own (harness/gate/compare); it is not in Compared.
func ErrorRate() Metric {
	return Metric{Name: "error_rate", Label: "errors / request", Unit: "err/req",
		Gate: Gate{Compared: true, Key: "error_rate", Default: verdict.DefaultErrorRate},
		Get: func(r *results.Result) (float64, bool) {
			if r.Requests <= 0 {
				return 1, true
			}
			return float64(r.Errors) / float64(r.Requests), true
		}}
}

// Gated keeps the metrics of ms the gate decides on unless a scenario says
// otherwise, in their order.
func Gated(ms []Metric) []Metric {
	var out []Metric
	for _, m := range ms {
		if m.Gated() {
			out = append(out, m)
		}
	}
	return out
}

// Compared lists, in table order, the metrics the gate compares for a group
// whose runs include the given component roles.
func Compared(roles []string) []Metric {
	var ms []Metric
	for _, m := range append(Latency(), Scheduled()...) {
		if m.Gate.Compared {
			ms = append(ms, m)
		}
	}
	var proxies []string
	for _, r := range ProxyRoles() {
		if slices.Contains(roles, r) {
			proxies = append(proxies, r)
		}
	}
	if len(proxies) > 0 {
		ms = append(ms, ProxyCPU(proxies), ProxyRSSSteady(proxies), ProxyRSSAnon(proxies), ProxyWorkingSet(proxies))
	}
	for _, role := range roles {
		ms = append(ms, CPU(role), RSSPeak(role))
	}
	return append(ms, ProxyInstructions(proxies))
}

// Lookup finds a compared metric by name (a role suffix resolved, the
// proxies suffix over both proxies).
func Lookup(name string) (Metric, bool) {
	roles := append(ProxyRoles(), results.RoleControlPlane, results.RoleApp, results.RoleLoadgen)
	for _, m := range append(append(Compared(roles), Latency()...), ErrorRate()) {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Short keeps the metrics of ms shown in the short tables.
func Short(ms []Metric) []Metric {
	var out []Metric
	for _, m := range ms {
		if m.Short {
			out = append(out, m)
		}
	}
	return out
}
