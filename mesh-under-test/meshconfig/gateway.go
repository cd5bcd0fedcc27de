package meshconfig

import (
	"fmt"
	"strings"
)

// Gateway modes.
const (
	// GatewayIngress terminates TLS from outside the mesh (a certificate per
	// server, chosen by SNI) and routes by host and path into the mesh,
	// calling the sidecars behind it as any proxy does (mTLS by the mesh's
	// rule).
	GatewayIngress = "ingress"
	// GatewayEgress is the mesh's way out: requests whose Host names one of
	// AllowedHosts go to that service; anything else gets 403.
	GatewayEgress = "egress"
)

// Gateway makes a proxy a gateway: one listener at the mesh's edge. It is
// the mesh file's form of Istio's Gateway (Servers: ports, hosts, TLS) and
// VirtualService bound to it (Routes), kept on the proxy that serves it, as
// the proxy's inbound and outbound listeners are.
type Gateway struct {
	Mode    string `yaml:"mode" json:"mode,omitempty"`       // ingress | egress
	Address string `yaml:"address" json:"address,omitempty"` // host:port the gateway listens on
	// Servers (ingress) are the filter chains: a server with TLS gets a
	// chain matched by SNI against its Hosts; at most one server has no
	// TLS (plaintext clients, and TLS clients whose SNI no server names,
	// are refused unless it exists).
	Servers []GatewayServer `yaml:"servers,omitempty" json:"servers,omitempty"`
	// Routes (ingress) send requests into the mesh; first match wins, a
	// request no route matches gets 404.
	Routes []GatewayRoute `yaml:"routes,omitempty" json:"routes,omitempty"`
	// AllowedHosts (egress) are the services the mesh may call through the
	// gateway (reached by their host names, as sidecars reach them).
	AllowedHosts []string `yaml:"allowedHosts,omitempty" json:"allowedHosts,omitempty"`
}

// GatewayServer is one set of host names the gateway answers for, with
// the certificate it presents for them.
type GatewayServer struct {
	// Hosts are exact names or "*.suffix" wildcards; "*" (plaintext
	// servers only) means any.
	Hosts []string    `yaml:"hosts" json:"hosts,omitempty"`
	TLS   *GatewayTLS `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// GatewayTLS is a server's certificate: either CredentialName, a
// credential of the mesh that meshcontrol serves to the gateway over SDS
// (Istio's credentialName), or PEM files the gateway's proxy reads
// (Istio's file-mounted gateway certificates; relative paths are relative
// to the proxy's working directory).
type GatewayTLS struct {
	CredentialName string `yaml:"credentialName,omitempty" json:"credentialName,omitempty"`
	CertFile       string `yaml:"certFile,omitempty" json:"certFile,omitempty"`
	KeyFile        string `yaml:"keyFile,omitempty" json:"keyFile,omitempty"`
}

// GatewayRoute routes requests for Hosts (empty: any) matching Match to
// Service. The service's destination policy (load balancing, circuit
// breaking, mTLS) applies as for any caller.
type GatewayRoute struct {
	Hosts   []string `yaml:"hosts,omitempty" json:"hosts,omitempty"`
	Match   Match    `yaml:"match,omitempty" json:"match,omitempty"`
	Service string   `yaml:"service" json:"service,omitempty"`
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Services lists the services the gateway sends to (its routes' or its
// allowed hosts), which its proxy receives configuration for.
func (g *Gateway) Services() []string {
	var out []string
	for _, r := range g.Routes {
		out = append(out, r.Service)
	}
	return append(out, g.AllowedHosts...)
}

func (g *Gateway) validate(c *checker, p string, known func(path, name string), creds map[string]bool) {
	switch g.Mode {
	case GatewayIngress:
		if len(g.AllowedHosts) > 0 {
			c.add(p+".allowedHosts", "only for mode egress")
		}
		if len(g.Servers) == 0 {
			c.add(p+".servers", "an ingress gateway needs at least one server")
		}
	case GatewayEgress:
		if len(g.Servers) > 0 || len(g.Routes) > 0 {
			c.add(p, "servers and routes are for mode ingress; an egress gateway has allowedHosts")
		}
	default:
		c.add(p+".mode", "unknown mode %q (want ingress or egress)", g.Mode)
	}
	c.addr(p+".address", g.Address)
	plain, sni := -1, map[string]int{}
	for i, s := range g.Servers {
		sp := fmt.Sprintf("%s.servers[%d]", p, i)
		if len(s.Hosts) == 0 {
			c.add(sp+".hosts", "required")
		}
		if s.TLS == nil {
			if plain >= 0 {
				c.add(sp+".tls", "servers[%d] is already the plaintext server: at most one server without tls", plain)
			}
			plain = i
			continue
		}
		switch t := s.TLS; {
		case t.CredentialName != "" && (t.CertFile != "" || t.KeyFile != ""):
			c.add(sp+".tls", "credentialName and certFile/keyFile are exclusive: the certificate comes over SDS or from files")
		case t.CredentialName != "":
			if !creds[t.CredentialName] {
				c.add(sp+".tls.credentialName", "unknown credential %q (define it under credentials)", t.CredentialName)
			}
		case t.CertFile == "" || t.KeyFile == "":
			c.add(sp+".tls", "credentialName, or certFile and keyFile, are required")
		}
		for j, h := range s.Hosts {
			hp := fmt.Sprintf("%s.hosts[%d]", sp, j)
			if h == "*" || strings.Count(h, "*") > 1 || (strings.Contains(h, "*") && !strings.HasPrefix(h, "*.")) {
				c.add(hp, "want a host name or a *.suffix wildcard for SNI, got %q", h)
			}
			if k, dup := sni[h]; dup {
				c.add(hp, "host %q is already served by servers[%d]", h, k)
			}
			sni[h] = i
		}
	}
	for i, r := range g.Routes {
		rp := fmt.Sprintf("%s.routes[%d]", p, i)
		if r.Service == "" {
			c.add(rp+".service", "required")
		} else {
			known(rp+".service", r.Service)
		}
		if r.Match.Path != "" && r.Match.PathPrefix != "" {
			c.add(rp+".match", "path and pathPrefix are exclusive")
		}
	}
	for i, h := range g.AllowedHosts {
		if h == "*" {
			c.add(fmt.Sprintf("%s.allowedHosts[%d]", p, i), "name each service: an egress gateway allowing everything has no policy")
			continue
		}
		known(fmt.Sprintf("%s.allowedHosts[%d]", p, i), h)
	}
	if g.Mode == GatewayEgress && len(g.AllowedHosts) == 0 {
		c.add(p+".allowedHosts", "an egress gateway needs at least one allowed service (everything else is denied)")
	}
}
