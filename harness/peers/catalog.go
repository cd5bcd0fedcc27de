package peers

import "fmt"

// Peer describes one installable mesh: what its generated manifest must
// hold and how its sidecars are asked for.
type Peer struct {
	// Name is the lane's name in the lane catalog (results.LaneIstio, ...).
	Name string
	// Module@Version is where the charts came from (the stamp checks it).
	Module, Version string
	// Namespace is the control plane's namespace; the manifest creates it
	// and puts every namespaced object in it.
	Namespace string
	// RequiredKinds: an install without one of these is not an install.
	RequiredKinds []string
	// Images are the images the install needs on the nodes: the control
	// plane's and the sidecar's (which only the injector's config names).
	Images []string
	// InjectNamespace is the label (Istio) or annotation (Linkerd) that asks
	// the peer's injector for sidecars in a namespace; InjectPodOff is the
	// pod annotation that keeps one pod without (Istio's clientonly /
	// serveronly). SidecarContainer is the injected proxy's name.
	InjectLabel, InjectAnnotation [2]string
	InjectPodOff                  [2]string
	SidecarContainer              string
	// SkipInboundPorts is the pod annotation that keeps ports away from the
	// sidecar (the load client's API, which the harness calls).
	SkipInboundPorts string
	// ControlPlaneContainer is the container measured as the control plane.
	ControlPlaneDeployment, ControlPlaneContainer string
}

// File is the name of the peer's generated manifest in the manifests dir.
func (p Peer) File() string { return p.Name + ".yaml" }

// Stamp is the first line the generator writes and Load expects: a manifest
// generated at another pin is refused rather than installed.
func (p Peer) Stamp() string {
	return fmt.Sprintf("# meshbench peer manifest: %s from %s@%s", p.Name, p.Module, p.Version)
}

// Istio is the pinned Istio: base chart (CRDs) + istiod, sidecar mode.
func Istio() Peer {
	return Peer{
		Name: "istio", Module: IstioModule, Version: IstioModuleVersion, Namespace: "istio-system",
		RequiredKinds: []string{"Namespace", "CustomResourceDefinition", "Deployment", "Service", "ServiceAccount",
			"ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "ConfigMap"},
		Images:                 []string{IstioHub + "/pilot:" + IstioTag, IstioHub + "/proxyv2:" + IstioTag},
		InjectLabel:            [2]string{"istio-injection", "enabled"},
		InjectPodOff:           [2]string{"sidecar.istio.io/inject", "false"},
		SidecarContainer:       "istio-proxy",
		SkipInboundPorts:       "traffic.sidecar.istio.io/excludeInboundPorts",
		ControlPlaneDeployment: "istiod", ControlPlaneContainer: "discovery",
	}
}

// Linkerd is the pinned Linkerd: linkerd-crds + linkerd-control-plane.
func Linkerd() Peer {
	return Peer{
		Name: "linkerd", Module: LinkerdModule, Version: LinkerdModuleVersion, Namespace: "linkerd",
		RequiredKinds: []string{"Namespace", "CustomResourceDefinition", "Deployment", "Service", "ServiceAccount",
			"ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "Secret"},
		// The controller image runs every control-plane component, the
		// policy controller included; the proxy image carries proxy-init.
		Images:                 []string{"cr.l5d.io/linkerd/controller:" + LinkerdVersion, "cr.l5d.io/linkerd/proxy:" + LinkerdVersion},
		InjectAnnotation:       [2]string{"linkerd.io/inject", "enabled"},
		SidecarContainer:       "linkerd-proxy",
		SkipInboundPorts:       "config.linkerd.io/skip-inbound-ports",
		ControlPlaneDeployment: "linkerd-destination", ControlPlaneContainer: "destination",
	}
}

// All lists the peers, by lane name order.
func All() []Peer { return []Peer{Istio(), Linkerd()} }

// Lookup returns the peer of a lane name.
func Lookup(name string) (Peer, bool) {
	for _, p := range All() {
		if p.Name == name {
			return p, true
		}
	}
	return Peer{}, false
}
