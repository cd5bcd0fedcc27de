package meshconfig

import (
	"errors"
	"fmt"
)

// Lane modes, as Istio's benchmark names them.
const (
	ModeBoth       = "both"
	ModeClientOnly = "clientonly"
	ModeServerOnly = "serveronly"
	// ModeIngress: load client -> ingress gateway -> server proxy -> app.
	ModeIngress = "ingress"
	// ModeIngressBoth: load client -> client proxy -> ingress gateway ->
	// server proxy -> app.
	ModeIngressBoth = "ingress+both"
)

// LaneOptions describe the benchmark lane: load client -> client proxy
// (outbound) -> server proxy (inbound) -> echo app, with one of the proxies
// left out in the clientonly and serveronly modes, and an ingress gateway
// before the server proxy in the ingress modes.
type LaneOptions struct {
	Mode     string // both | clientonly | serveronly
	Protocol string // http (default), http2, grpc, tcp
	MTLS     bool   // strict mTLS between the proxies (mode both only)
	// ClientProxyID and ServerProxyID are the proxies' node ids (defaults
	// "client-proxy" and "server-proxy"); GatewayID the ingress gateway's
	// (default "ingress-gateway").
	ClientProxyID, ServerProxyID, GatewayID string
	// Gateway is the ingress gateway's (plaintext) listener in the ingress
	// modes; mTLS applies between the gateway and the server proxy.
	Gateway string
	// GatewayEndpoint is where the client proxy reaches the gateway
	// (ingress+both), when that is not Gateway: on Kubernetes the gateway
	// listens on every address of its pod and is called at its Service.
	GatewayEndpoint string
	// ClientOutbound is where the client proxy listens for the load client
	// (both, clientonly); ServerInbound is the server proxy's inbound
	// listener (both, serveronly); App is the echo server.
	ClientOutbound, ServerInbound, App string
	// Replicas are more endpoints of the echo service: other replicas of
	// the app, called directly (clientonly only: they have no sidecar), so
	// that the client proxy balances over several endpoints and can eject
	// a failing one.
	Replicas []string
	// AppFromRegistry: the service is declared without endpoints: the
	// control plane fills them in from its service registry (on
	// Kubernetes, the ready pod IPs of the Service of the same name), so
	// the client proxy calls pods, not a ClusterIP, and can drain a pod
	// that is removed. In clientonly App is not used; with a server proxy
	// ServerInbound is where it listens (on Kubernetes 0.0.0.0, every
	// address of whichever pod it runs in) and the registry's endpoints
	// are the pods' IPs at its port, naming it as their Sidecar.
	AppFromRegistry bool
	// Service is the echo service's name (default "echo").
	Service  string
	Revision int64
}

// Lane builds the mesh of one benchmark lane, normalized and validated.
func Lane(o LaneOptions) (*Mesh, error) {
	if o.ClientProxyID == "" {
		o.ClientProxyID = "client-proxy"
	}
	if o.ServerProxyID == "" {
		o.ServerProxyID = "server-proxy"
	}
	if o.Service == "" {
		o.Service = "echo"
	}
	if o.GatewayID == "" {
		o.GatewayID = "ingress-gateway"
	}
	ingress := o.Mode == ModeIngress || o.Mode == ModeIngressBoth
	client := o.Mode == ModeBoth || o.Mode == ModeClientOnly || o.Mode == ModeIngressBoth
	srv := o.Mode == ModeBoth || o.Mode == ModeServerOnly || ingress
	if !client && !srv {
		return nil, fmt.Errorf("meshconfig: lane mode %q (want both, clientonly, serveronly, ingress or ingress+both)", o.Mode)
	}
	if len(o.Replicas) > 0 && o.Mode != ModeClientOnly {
		return nil, fmt.Errorf("meshconfig: app replicas need lane mode clientonly (the client proxy calls them directly), not %q", o.Mode)
	}
	if o.MTLS && o.Mode != ModeBoth && !ingress {
		return nil, errors.New("meshconfig: mTLS needs both proxies (mode both) or a gateway in front of the server proxy")
	}
	m := &Mesh{Revision: o.Revision, Services: []Service{{Name: o.Service, Protocol: o.Protocol}}}
	if o.MTLS {
		m.Policy.MTLS = MTLSStrict
	}
	target := o.App
	if srv {
		target = o.ServerInbound
		m.Proxies = append(m.Proxies, Proxy{ID: o.ServerProxyID, Service: o.Service, Inbound: &Inbound{Address: o.ServerInbound, App: o.App}})
	}
	if !o.AppFromRegistry {
		m.Services[0].Endpoints = []Endpoint{{Address: target}}
	}
	for _, r := range o.Replicas {
		m.Services[0].Endpoints = append(m.Services[0].Endpoints, Endpoint{Address: r})
	}
	called := o.Service // what the client proxy sends to
	if ingress {
		m.Proxies = append(m.Proxies, Proxy{ID: o.GatewayID, Egress: []string{o.Service}, Gateway: &Gateway{
			Mode: GatewayIngress, Address: o.Gateway,
			Servers: []GatewayServer{{Hosts: []string{"*"}}},
			Routes:  []GatewayRoute{{Service: o.Service}},
		}})
		if client {
			// The gateway, as a service the client proxy calls: its
			// endpoint is no proxy's inbound, so that hop is plaintext.
			called = o.GatewayID
			ep := o.GatewayEndpoint
			if ep == "" {
				ep = o.Gateway
			}
			m.Services = append(m.Services, Service{Name: called, Protocol: o.Protocol, Endpoints: []Endpoint{{Address: ep}}})
		}
	}
	if client {
		m.Proxies = append(m.Proxies, Proxy{ID: o.ClientProxyID, Outbound: []Outbound{{Address: o.ClientOutbound, Service: called}}, Egress: []string{called}})
	}
	m.Normalize()
	if errs := m.validate(false); len(errs) > 0 {
		var out []error
		for _, e := range errs {
			out = append(out, &Error{File: "lane", Field: e.path, Msg: e.msg})
		}
		return nil, errors.Join(out...)
	}
	return m, nil
}
