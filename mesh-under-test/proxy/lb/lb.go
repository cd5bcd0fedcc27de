package lb

import (
	"math/rand/v2"
	"sync/atomic"
)

// Host is one upstream endpoint's shared state. It outlives configuration
// snapshots: a new snapshot naming the same endpoint reuses its Host.
type Host struct {
	Addr string

	active       atomic.Int64
	unhealthy    atomic.Bool  // failed active health checks
	ejectedUntil atomic.Int64 // unix nanos; outlier ejection
	// draining: the control plane says the endpoint is going away (EDS
	// health_status DRAINING: a terminating pod that still serves). Like
	// Envoy's EDS_STATUS_DRAINING it is excluded from balancing but still
	// takes part in panic routing.
	draining atomic.Bool
	// Passive health counters, owned by the outlier detector.
	Consecutive5xx     atomic.Int32
	ConsecutiveGateway atomic.Int32
	Ejections          atomic.Int32
}

// NewHost returns a healthy, idle host.
func NewHost(addr string) *Host { return &Host{Addr: addr} }

// Begin and End bracket one request on this host (least-request input).
func (h *Host) Begin() { h.active.Add(1) }

// End marks a request on this host finished.
func (h *Host) End() { h.active.Add(-1) }

// Active returns the in-flight request count.
func (h *Host) Active() int64 { return h.active.Load() }

// SetHealthy records the active health-check verdict.
func (h *Host) SetHealthy(ok bool) { h.unhealthy.Store(!ok) }

// Healthy reports the active health-check verdict.
func (h *Host) Healthy() bool { return !h.unhealthy.Load() }

// Eject removes the host from rotation until the given unix-nano time.
func (h *Host) Eject(until int64) { h.ejectedUntil.Store(until) }

// Ejected reports whether the host is ejected at now (unix nanos).
func (h *Host) Ejected(now int64) bool { return h.ejectedUntil.Load() > now }

// SetDraining records the control plane's DRAINING status.
func (h *Host) SetDraining(on bool) { h.draining.Store(on) }

// Draining reports whether the control plane marked the host DRAINING.
func (h *Host) Draining() bool { return h.draining.Load() }

// Available reports whether the host may receive new requests at now.
func (h *Host) Available(now int64) bool {
	return !h.unhealthy.Load() && !h.draining.Load() && h.ejectedUntil.Load() <= now
}

// Policy names a load-balancing algorithm.
type Policy int

// Policies, named after Envoy's cluster lb_policy.
const (
	RoundRobin Policy = iota
	LeastRequest
	Random
)

func (p Policy) String() string {
	switch p {
	case LeastRequest:
		return "LEAST_REQUEST"
	case Random:
		return "RANDOM"
	default:
		return "ROUND_ROBIN"
	}
}

// Picker chooses a host index. Safe for concurrent use.
type Picker struct {
	policy Policy
	hosts  []*Host
	next   atomic.Uint64
}

// NewPicker returns a picker over hosts (which it does not copy).
func NewPicker(p Policy, hosts []*Host) *Picker {
	return &Picker{policy: p, hosts: hosts}
}

// Hosts returns the hosts the picker chooses from.
func (p *Picker) Hosts() []*Host { return p.hosts }

// Pick returns the index of the chosen host, or -1 when there are no hosts.
// When no host is available (all unhealthy, ejected or draining) it picks
// among all of them, as Envoy's panic routing does, rather than failing
// every request. Envoy excludes DRAINING hosts from the panic threshold
// but, once in panic, balances over every host, draining ones included
// (envoyproxy/envoy#46800): a service whose every pod is terminating keeps
// being served by those pods, which Kubernetes still marks serving.
func (p *Picker) Pick(now int64) int {
	n := len(p.hosts)
	switch {
	case n == 0:
		return -1
	case n == 1:
		return 0
	}
	switch p.policy {
	case LeastRequest:
		return p.p2c(now)
	case Random:
		return p.scan(rand.IntN(n), now)
	default:
		return p.scan(int(p.next.Add(1)%uint64(n)), now)
	}
}

// scan returns the first available host starting at start.
func (p *Picker) scan(start int, now int64) int {
	n := len(p.hosts)
	for i := 0; i < n; i++ {
		j := start + i
		if j >= n {
			j -= n
		}
		if p.hosts[j].Available(now) {
			return j
		}
	}
	return start // panic routing
}

// p2c is least-request with two random choices (Envoy's default
// choice_count): the less loaded of two available hosts.
func (p *Picker) p2c(now int64) int {
	n := len(p.hosts)
	a := rand.IntN(n)
	b := rand.IntN(n - 1)
	if b >= a {
		b++
	}
	ha, hb := p.hosts[a], p.hosts[b]
	okA, okB := ha.Available(now), hb.Available(now)
	switch {
	case okA && okB:
		if hb.Active() < ha.Active() {
			return b
		}
		return a
	case okA:
		return a
	case okB:
		return b
	}
	return p.scan(a, now)
}
