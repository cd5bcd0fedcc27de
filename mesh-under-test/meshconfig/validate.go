package meshconfig

import (
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// Normalize fills in documented defaults. Load calls it; callers building a
// Mesh in Go may call it before translating.
func (m *Mesh) Normalize() {
	if m.TrustDomain == "" {
		m.TrustDomain = "cluster.local"
	}
	if m.Policy.MTLS == "" {
		m.Policy.MTLS = MTLSDisable
	}
	for i := range m.Services {
		s := &m.Services[i]
		if s.Namespace == "" {
			s.Namespace = "default"
		}
		if s.Protocol == "" {
			s.Protocol = ProtocolHTTP
		}
		for j := range s.Endpoints {
			if s.Endpoints[j].Weight == 0 {
				s.Endpoints[j].Weight = 1
			}
		}
	}
	for i := range m.Proxies {
		p := &m.Proxies[i]
		if p.Identity == "" {
			p.Identity = m.DefaultIdentity(*p)
		}
	}
}

// DefaultIdentity is the SPIFFE id a proxy gets when none is written.
func (m *Mesh) DefaultIdentity(p Proxy) string {
	ns, sa := "default", p.ID
	if s := m.Service(p.Service); s != nil {
		ns, sa = s.Namespace, s.Name
	}
	return fmt.Sprintf("spiffe://%s/ns/%s/sa/%s", m.TrustDomain, ns, sa)
}

// Service returns the named service, or nil.
func (m *Mesh) Service(name string) *Service {
	for i := range m.Services {
		if m.Services[i].Name == name {
			return &m.Services[i]
		}
	}
	return nil
}

// Proxy returns the proxy with the given id, or nil.
func (m *Mesh) Proxy(id string) *Proxy {
	for i := range m.Proxies {
		if m.Proxies[i].ID == id {
			return &m.Proxies[i]
		}
	}
	return nil
}

type problem struct{ path, msg string }

type checker struct{ probs []problem }

func (c *checker) add(path, format string, args ...any) {
	c.probs = append(c.probs, problem{path, fmt.Sprintf(format, args...)})
}

func (c *checker) addr(path, v string) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		c.add(path, "want host:port, got %q", v)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || host == "" {
		c.add(path, "want host:port with a port 0-65535, got %q", v)
	}
}

func (m *Mesh) validate(external bool) []problem {
	var c checker
	svc := map[string]bool{}
	for i, s := range m.Services {
		p := fmt.Sprintf("services[%d]", i)
		switch {
		case s.Name == "":
			c.add(p+".name", "required")
		case svc[s.Name]:
			c.add(p+".name", "duplicate service %q", s.Name)
		}
		svc[s.Name] = true
		if !slices.Contains([]string{ProtocolHTTP, ProtocolHTTP2, ProtocolGRPC, ProtocolTCP}, s.Protocol) {
			c.add(p+".protocol", "unknown protocol %q (want http, http2, grpc or tcp)", s.Protocol)
		}
		for j, e := range s.Endpoints {
			c.addr(fmt.Sprintf("%s.endpoints[%d].address", p, j), e.Address)
			if e.Sidecar != "" {
				if px := m.Proxy(e.Sidecar); px == nil || px.Inbound == nil {
					c.add(fmt.Sprintf("%s.endpoints[%d].sidecar", p, j), "no proxy %q with an inbound listener", e.Sidecar)
				}
			}
		}
	}
	known := func(path, name string) {
		if !svc[name] && !external {
			c.add(path, "unknown service %q", name)
		}
	}
	creds := m.validateCredentials(&c)
	ids := map[string]bool{}
	egressVia := map[string]int{} // service -> index of the proxy whose egress gateway allows it
	for i, px := range m.Proxies {
		p := fmt.Sprintf("proxies[%d]", i)
		switch {
		case px.ID == "":
			c.add(p+".id", "required")
		case ids[px.ID]:
			c.add(p+".id", "duplicate proxy id %q", px.ID)
		}
		ids[px.ID] = true
		if px.Service != "" {
			known(p+".service", px.Service)
		}
		if px.Inbound != nil {
			c.addr(p+".inbound.address", px.Inbound.Address)
			c.addr(p+".inbound.app", px.Inbound.App)
		}
		for j, o := range px.Outbound {
			c.addr(fmt.Sprintf("%s.outbound[%d].address", p, j), o.Address)
			if o.Service != "" {
				known(fmt.Sprintf("%s.outbound[%d].service", p, j), o.Service)
			}
		}
		for j, e := range px.Egress {
			if e != "*" {
				known(fmt.Sprintf("%s.egress[%d]", p, j), e)
			}
		}
		if px.Gateway != nil {
			px.Gateway.validate(&c, p+".gateway", known, creds)
		}
		if g := px.Gateway; g != nil && g.Mode == GatewayEgress {
			for j, h := range g.AllowedHosts {
				hp := fmt.Sprintf("%s.gateway.allowedHosts[%d]", p, j)
				if k, dup := egressVia[h]; dup {
					c.add(hp, "service %q already leaves the mesh through proxies[%d]'s egress gateway: one way out per service", h, k)
				}
				egressVia[h] = i
				if s := m.Service(h); s != nil && s.Protocol == ProtocolTCP {
					c.add(hp, "service %q is tcp: the egress gateway routes HTTP by Host", h)
				}
			}
		}
	}
	m.Policy.validate(&c, known)
	m.Telemetry.validate(&c)
	return c.probs
}

func (pol *Policy) validate(c *checker, known func(path, name string)) {
	if !slices.Contains([]string{MTLSDisable, MTLSPermissive, MTLSStrict}, pol.MTLS) {
		c.add("policy.mtls", "unknown mode %q (want disable, permissive or strict)", pol.MTLS)
	}
	subsets := map[string]map[string]bool{}
	for i, d := range pol.Destinations {
		p := fmt.Sprintf("policy.destinations[%d]", i)
		known(p+".service", d.Service)
		if d.LoadBalancer != "" && d.LoadBalancer != LBRoundRobin && d.LoadBalancer != LBLeastRequest {
			c.add(p+".loadBalancer", "unknown algorithm %q (want round_robin or least_request)", d.LoadBalancer)
		}
		if h := d.HealthCheck; h != nil {
			if h.Path == "" {
				c.add(p+".healthCheck.path", "required")
			}
			if h.Interval <= 0 || h.Timeout <= 0 {
				c.add(p+".healthCheck", "interval and timeout must be positive")
			}
		}
		if b := d.CircuitBreaker; b != nil && (b.RetryBudgetPercent < 0 || b.RetryBudgetPercent > 100) {
			c.add(p+".circuitBreaker.retryBudgetPercent", "must be within 0-100")
		}
		set := map[string]bool{}
		for j, s := range d.Subsets {
			if s.Name == "" || set[s.Name] {
				c.add(fmt.Sprintf("%s.subsets[%d].name", p, j), "missing or duplicate subset name %q", s.Name)
			}
			set[s.Name] = true
		}
		subsets[d.Service] = set
	}
	for i, r := range pol.Routes {
		p := fmt.Sprintf("policy.routes[%d]", i)
		known(p+".service", r.Service)
		for j, rule := range r.Rules {
			rp := fmt.Sprintf("%s.rules[%d]", p, j)
			if rule.Match.Path != "" && rule.Match.PathPrefix != "" {
				c.add(rp+".match", "path and pathPrefix are exclusive")
			}
			var total uint32
			for k, w := range rule.Split {
				total += w.Weight
				if w.Subset != "" && !subsets[r.Service][w.Subset] {
					c.add(fmt.Sprintf("%s.split[%d].subset", rp, k), "subset %q is not declared in a destination for %q", w.Subset, r.Service)
				}
			}
			if len(rule.Split) > 0 && total == 0 {
				c.add(rp+".split", "weights sum to 0")
			}
			if rule.Retries != nil && rule.Retries.Attempts == 0 {
				c.add(rp+".retries.attempts", "must be at least 1")
			}
			if rule.Retries != nil {
				// The proxy's own parser: a value is accepted here exactly
				// when the proxy honours it (a typo would otherwise be
				// NACKed by every proxy, far from the file).
				if _, err := resilience.ParseRetryOn(rule.Retries.On); err != nil {
					c.add(rp+".retries.on", "%v", err)
				}
			}
			if f := rule.Fault; f != nil {
				if f.Delay != nil && (f.Delay.Percent < 0 || f.Delay.Percent > 100) {
					c.add(rp+".fault.delay.percent", "must be within 0-100")
				}
				if f.Abort != nil && (f.Abort.Status < 200 || f.Abort.Status > 599) {
					c.add(rp+".fault.abort.status", "must be an HTTP status 200-599")
				}
			}
		}
	}
	rateLimited := map[string]int{}
	for i, r := range pol.RateLimits {
		p := fmt.Sprintf("policy.rateLimits[%d]", i)
		known(p+".service", r.Service)
		if j, dup := rateLimited[r.Service]; dup {
			c.add(p+".service", "service %q already has a rate limit (policy.rateLimits[%d])", r.Service, j)
		}
		rateLimited[r.Service] = i
		if r.RequestsPerSecond <= 0 {
			c.add(p+".requestsPerSecond", "must be positive")
		}
	}
	authorized := map[string]int{}
	for i, a := range pol.Authorization {
		p := fmt.Sprintf("policy.authorization[%d]", i)
		known(p+".service", a.Service)
		if j, dup := authorized[a.Service]; dup {
			c.add(p+".service", "service %q already has an authorization entry (policy.authorization[%d]): merge the rules into one", a.Service, j)
		}
		authorized[a.Service] = i
		if len(a.Allow) == 0 && len(a.Deny) == 0 {
			c.add(p, "needs allow or deny rules")
		}
	}
}
