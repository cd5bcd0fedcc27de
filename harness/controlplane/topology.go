package controlplane

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// topology is the generated mesh plus what the driver needs to know about
// it: which proxies call which service.
type topology struct {
	mesh    *meshconfig.Mesh
	callers [][]int // service index -> proxy indices that may call it
	rng     *rand.Rand
	nextIP  uint32
	// addrRev maps an endpoint host written by a flap to the revision that
	// wrote it (addresses are never reused), so a load assignment tells
	// which flap it carries; read by the simulated proxies' goroutines.
	addrRev sync.Map
}

// revOf is the revision that wrote endpoint host (0: the initial mesh).
func (t *topology) revOf(host string) int64 {
	if v, ok := t.addrRev.Load(host); ok {
		return v.(int64)
	}
	return 0
}

// egress is how many services proxy p may call.
func (t *topology) egress(p int) int {
	if e := len(t.mesh.Proxies[p].Egress); e > 0 {
		return e
	}
	return len(t.mesh.Services)
}

func serviceName(i int) string { return fmt.Sprintf("svc-%04d", i) }
func proxyID(i int) string     { return fmt.Sprintf("proxy-%03d", i) }

// ip hands out distinct addresses in 10.0.0.0/8.
func (t *topology) ip() string {
	t.nextIP++
	n := t.nextIP
	return fmt.Sprintf("10.%d.%d.%d:8080", (n>>16)&0xff, (n>>8)&0xff, n&0xff)
}

// newTopology builds N services with E endpoints each and P proxies; proxy
// p belongs to service p mod N and may call egress services (all when 0),
// drawn with the seed. Every service has a routing rule with a timeout so a
// policy edit changes it.
func newTopology(size Size, egress int, seed int64) *topology {
	t := &topology{mesh: &meshconfig.Mesh{Revision: 1}, rng: rand.New(rand.NewPCG(uint64(seed), 0x6d657368)), callers: make([][]int, size.Services)}
	m := t.mesh
	for i := range size.Services {
		s := meshconfig.Service{Name: serviceName(i), Port: 8080}
		for range size.Endpoints {
			s.Endpoints = append(s.Endpoints, meshconfig.Endpoint{Address: t.ip(), Labels: map[string]string{"app": s.Name}})
		}
		m.Services = append(m.Services, s)
		m.Policy.Routes = append(m.Policy.Routes, meshconfig.ServiceRoutes{Service: s.Name, Rules: []meshconfig.Rule{{
			Match:   meshconfig.Match{PathPrefix: "/"},
			Timeout: meshconfig.Duration(time.Second),
			Retries: &meshconfig.Retries{Attempts: 2},
		}}})
		m.Policy.Destinations = append(m.Policy.Destinations, meshconfig.Destination{
			Service:          s.Name,
			CircuitBreaker:   &meshconfig.CircuitBreaker{MaxConnections: 1000, MaxRequests: 1000, RetryBudgetPercent: 20},
			OutlierDetection: &meshconfig.OutlierDetection{Consecutive5xx: 5, Interval: meshconfig.Duration(time.Second), BaseEjectionTime: meshconfig.Duration(30 * time.Second)},
		})
	}
	for p := range size.Proxies {
		px := meshconfig.Proxy{
			ID:       proxyID(p),
			Service:  serviceName(p % size.Services),
			Inbound:  &meshconfig.Inbound{Address: fmt.Sprintf("127.0.0.1:%d", 20000+p), App: "127.0.0.1:8080"},
			Outbound: []meshconfig.Outbound{{Address: "127.0.0.1:15001"}},
		}
		if egress > 0 && egress < size.Services {
			for _, s := range t.rng.Perm(size.Services)[:egress] {
				px.Egress = append(px.Egress, serviceName(s))
				t.callers[s] = append(t.callers[s], p)
			}
		} else {
			for s := range size.Services {
				t.callers[s] = append(t.callers[s], p)
			}
		}
		m.Proxies = append(m.Proxies, px)
	}
	m.Normalize()
	return t
}

// change is one applied mutation.
type change struct {
	rev      int64
	typeURL  string // the xDS type the change shows up in
	service  int    // the service changed
	key      string // what the tracker records its arrival under (running.key)
	affected []int  // proxies that must ACK it
	at       time.Time
}

// mutate applies the next change: a policy edit with probability
// policyPct, else an endpoint flap; both always produce new content (a
// fresh address, a fresh timeout), so no change can cancel another.
func (t *topology) mutate(policyPct float64) change {
	m := t.mesh
	m.Revision++
	// Only services someone calls make observable changes.
	var s int
	for {
		s = t.rng.IntN(len(m.Services))
		if len(t.callers[s]) > 0 {
			break
		}
	}
	c := change{rev: m.Revision, service: s, affected: t.callers[s]}
	if t.rng.Float64()*100 < policyPct {
		rule := &m.Policy.Routes[s].Rules[0]
		rule.Timeout = meshconfig.Duration(time.Second + time.Duration(m.Revision)*time.Millisecond)
		c.typeURL = typeRoute
	} else {
		eps := m.Services[s].Endpoints
		addr := t.ip()
		eps[t.rng.IntN(len(eps))].Address = addr
		host, _, _ := strings.Cut(addr, ":")
		t.addrRev.Store(host, m.Revision)
		c.typeURL = typeEndpoint
	}
	return c
}
