package results

import (
	"fmt"
	"strings"
)

// The lane catalog: the one place that names the data paths under test,
// the modes each runs in, and the cases each cannot do its job in (with the
// reason). Scenario validation, the plan, the platforms, the CLI's help and
// every reader of results take lanes from here; adding a lane is one entry
// below plus the platform code that starts it.

// Lane names.
const (
	LaneNone     = "none"     // load client -> app, no proxy: the baseline
	LaneMesh     = "mesh"     // the mesh under test (meshproxy + meshcontrol)
	LaneHAProxy  = "haproxy"  // reference proxy in both sidecar positions
	LaneNginx    = "nginx"    // reference proxy in both sidecar positions
	LaneHTTPUtil = "httputil" // Go's stock httputil.ReverseProxy: the floor a Go proxy must beat
	LaneIstio    = "istio"    // a pinned Istio installed on a kind or kube cluster (Envoy sidecars)
	LaneLinkerd  = "linkerd"  // a pinned Linkerd installed on a kind or kube cluster (linkerd2-proxy sidecars)
)

// Modes name where sidecars sit, as Istio's benchmark names them.
const (
	ModeBoth       = "both"       // client-side and server-side sidecar
	ModeClientOnly = "clientonly" // client-side sidecar only
	ModeServerOnly = "serveronly" // server-side sidecar only
	// ModeIngress: load client -> ingress gateway -> server-side sidecar.
	ModeIngress = "ingress"
	// ModeIngressBoth: load client -> client-side sidecar -> ingress
	// gateway -> server-side sidecar.
	ModeIngressBoth = "ingress+both"
)

// IsIngressMode reports whether mode puts an ingress gateway on the path.
func IsIngressMode(mode string) bool { return mode == ModeIngress || mode == ModeIngressBoth }

// LaneSpec describes one lane.
type LaneSpec struct {
	Name string
	Doc  string
	// Modes are the modes a label may name (lane/mode); empty for lanes
	// whose label is the bare name. DefaultMode is what the bare name
	// means when Modes is set ("mesh" is "mesh/both"); "" keeps the bare
	// name as the label of the lane's sidecar form (haproxy, nginx: their
	// ingress modes came later, and results stored before them say
	// "haproxy", which must keep matching the new ones).
	Modes       []string
	DefaultMode string
	// Graph: the lane, in its default mode, can run a service graph (app
	// scenarios); see RunsGraph.
	Graph bool
	// NoIngress says why a lane without ingress modes has no ingress form
	// (Istio's benchmark's ingress mode); "" for the baseline and for lanes
	// that have one.
	NoIngress string
	// unsupported says why the lane, in mode, cannot do its job in case c,
	// or "" when it can.
	unsupported func(mode string, c Case) string
}

// Unsupported returns why the lane in mode cannot do its job in case c, or
// "" when it can. A case it cannot do is never run: it is reported
// unavailable with this reason instead of with latencies of failed requests.
func (l LaneSpec) Unsupported(mode string, c Case) string {
	if l.unsupported == nil {
		return ""
	}
	return l.unsupported(mode, c)
}

// RunsGraph reports whether the lane in mode can run a service graph: a
// graph puts a sidecar by every service, so only the default mode.
func (l LaneSpec) RunsGraph(mode string) bool { return l.Graph && mode == l.DefaultMode }

// GraphLaneLabels lists the labels that can run a service graph.
func GraphLaneLabels() []string {
	var out []string
	for _, l := range Lanes() {
		if l.RunsGraph(l.DefaultMode) {
			out = append(out, l.Name)
		}
	}
	return out
}

// referenceIngressTCP is why the reference lanes' ingress modes do not
// carry tcp: the mesh's gateway routes HTTP only, and the ingress lanes of
// the three proxies compare like for like.
const referenceIngressTCP = "the ingress lanes compare the proxies as HTTP gateways (the mesh's gateway routes HTTP by host and path and carries no opaque TCP), so the reference ingress modes do not run tcp either"

// Lanes returns the catalog, the baseline first.
func Lanes() []LaneSpec {
	return []LaneSpec{
		{Name: LaneNone, Doc: "no proxy: the load client calls the app (the baseline)", Graph: true},
		{Name: LaneMesh, Doc: "the mesh under test: meshproxy sidecars configured by meshcontrol; modes ingress and ingress+both put meshproxy as an ingress gateway before the server sidecar",
			Modes: []string{ModeBoth, ModeClientOnly, ModeServerOnly, ModeIngress, ModeIngressBoth}, DefaultMode: ModeBoth, Graph: true,
			unsupported: func(mode string, c Case) string {
				if IsIngressMode(mode) {
					if c.Protocol == ProtocolTCP {
						return "the ingress gateway routes HTTP by host and path: opaque TCP through it is not implemented"
					}
					return "" // mTLS: gateway -> server sidecar
				}
				if c.MTLS && mode != ModeBoth {
					return "mTLS needs both sidecars (mode both)"
				}
				return ""
			}},
		{Name: LaneHAProxy, Doc: "HAProxy in both sidecar positions (reference): HTTP mode, gRPC end to end over h2, TCP mode for tcp; modes ingress and ingress+both put HAProxy as the ingress gateway too (local platform)",
			Modes: []string{ModeIngress, ModeIngressBoth},
			unsupported: func(mode string, c Case) string {
				if IsIngressMode(mode) && c.Protocol == ProtocolTCP {
					return referenceIngressTCP
				}
				return ""
			}},
		{Name: LaneNginx, Doc: "nginx in both sidecar positions (reference); modes ingress and ingress+both put nginx as the ingress gateway too (local platform)",
			Modes: []string{ModeIngress, ModeIngressBoth},
			unsupported: func(_ string, c Case) string {
				if c.Protocol == ProtocolTCP {
					return "the nginx lane configures HTTP proxying only (TCP needs nginx's stream module, not part of nginx-light)"
				}
				if c.Protocol == ProtocolH2 || c.Protocol == ProtocolGRPC {
					// Measured: every request of the h2 case failed (its
					// listener speaks HTTP/1.x; h2c needs HTTP/2 upstream).
					return "nginx proxies to upstreams over HTTP/1.x only (proxy_http_version 1.0|1.1): it cannot carry " + c.Protocol + " between the sidecars"
				}
				return ""
			}},
		{Name: LaneHTTPUtil, Doc: "Go's stock httputil.ReverseProxy in both sidecar positions (the floor a Go proxy must beat)",
			NoIngress: "httputil.ReverseProxy has no TLS termination by SNI or host routing of its own: an ingress form would be its both form renamed",
			unsupported: func(_ string, c Case) string {
				switch c.Protocol {
				case ProtocolTCP:
					return "httputil.ReverseProxy is an HTTP proxy: it cannot carry opaque TCP"
				case ProtocolGRPC:
					return "the httputil lane carries HTTP/2 upstream for the h2 case only; it is not set up for gRPC"
				}
				return ""
			}},
		{Name: LaneIstio, Doc: "a pinned Istio (harness/peers) installed from its own Helm charts on kind or kube, its Envoy sidecars injected by istiod beside the app and the load client; modes as Istio's benchmark names them",
			Modes: []string{ModeBoth, ModeClientOnly, ModeServerOnly}, DefaultMode: ModeBoth, NoIngress: noIngressPeer,
			unsupported: func(mode string, c Case) string {
				if c.MTLS && mode != ModeBoth {
					return "mTLS needs both sidecars (mode both)"
				}
				return ""
			}},
		{Name: LaneLinkerd, Doc: "a pinned Linkerd (harness/peers) installed from its own Helm charts on kind or kube, its linkerd2-proxy sidecars injected beside the app and the load client (both sides)",
			NoIngress: noIngressPeer,
			unsupported: func(_ string, c Case) string {
				if !c.MTLS {
					return "Linkerd encrypts all traffic between meshed pods with mTLS and has no switch to turn it off: it runs the mtls cases only"
				}
				return ""
			}},
	}
}

// noIngressPeer is why the installed peers have no ingress lane form.
const noIngressPeer = "not built: the peer is installed without its ingress gateway (the lane measures its sidecars)"

// LookupLane returns the catalog entry of a lane name (not a label).
func LookupLane(name string) (LaneSpec, bool) {
	for _, l := range Lanes() {
		if l.Name == name {
			return l, true
		}
	}
	return LaneSpec{}, false
}

// LaneLabel joins a lane and mode into a label: "mesh/both", "none".
func LaneLabel(lane, mode string) string {
	if mode == "" {
		return lane
	}
	return lane + "/" + mode
}

// SplitLaneLabel splits a label into lane and mode ("mesh/both" -> "mesh",
// "both"); it does not validate.
func SplitLaneLabel(label string) (lane, mode string) {
	lane, mode, _ = strings.Cut(label, "/")
	return lane, mode
}

// ParseLaneLabel validates a label against the catalog and returns its
// lane spec and mode, with the default mode filled in ("mesh" -> mesh, both).
func ParseLaneLabel(label string) (LaneSpec, string, error) {
	name, mode := SplitLaneLabel(label)
	l, ok := LookupLane(name)
	if !ok {
		return LaneSpec{}, "", fmt.Errorf("unknown lane %q (known: %s)", label, strings.Join(LaneLabels(), ", "))
	}
	if mode == "" {
		return l, l.DefaultMode, nil
	}
	for _, m := range l.Modes {
		if m == mode {
			return l, mode, nil
		}
	}
	return LaneSpec{}, "", fmt.Errorf("unknown lane %q (known: %s)", label, strings.Join(LaneLabels(), ", "))
}

// CanonicalLaneLabel is label with its default mode filled in, or an error
// naming the known labels.
func CanonicalLaneLabel(label string) (string, error) {
	l, mode, err := ParseLaneLabel(label)
	if err != nil {
		return "", err
	}
	return LaneLabel(l.Name, mode), nil
}

// LaneLabels lists every label the catalog accepts, bare names included.
func LaneLabels() []string {
	var out []string
	for _, l := range Lanes() {
		out = append(out, l.Name)
		for _, m := range l.Modes {
			out = append(out, LaneLabel(l.Name, m))
		}
	}
	return out
}

// LaneLabel is the label of the result's lane: "mesh/both", "none".
func (r *Result) LaneLabel() string { return LaneLabel(r.Lane, r.Mode) }
