package filter

import (
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// Decision is what the filters decided for one request.
type Decision struct {
	// Delay is the fault filter's delay, to wait before going on.
	Delay time.Duration
	// Status > 0 answers the request locally with it, for the reason Why
	// (a local-reply metric label) and with Body.
	Status    int
	Why, Body string
}

// Admit runs the filters in order, at now (unix nanos). It stops at the
// first filter that answers locally; a fault delay before it still applies.
func (l List) Admit(a *match.Attrs, now int64) Decision {
	var d Decision
	for _, c := range l {
		switch c.kind {
		case RBAC:
			if ok, _ := c.rbac.Allowed(a); !ok {
				d.Status, d.Why, d.Body = 403, "rbac_denied", "RBAC: access denied\n"
				return d
			}
		case RateLimit:
			if !c.bucket.Allow(now) {
				d.Status, d.Why, d.Body = c.status, "rate_limited", "local_rate_limited\n"
				return d
			}
		case Fault:
			delay, abort := c.fault.Decide()
			d.Delay += delay
			if abort > 0 {
				d.Status, d.Why, d.Body = abort, "fault_abort", "fault filter abort\n"
				return d
			}
		}
	}
	return d
}

// Find returns the first filter of kind k in the list (nil: none acts).
func (l List) Find(k Kind) *Config {
	for _, c := range l {
		if c.kind == k {
			return c
		}
	}
	return nil
}

// Fault is a fault filter's compiled fault (nil for other kinds).
func (c *Config) Fault() *resilience.Fault { return c.fault }
