package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/peers"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// Images are the pinned image references of the harness's workloads. The
// images must already be on the nodes or pullable (imagePullPolicy IfNotPresent).
type Images struct {
	Meshbench   string // echo app and load client
	Meshproxy   string // sidecar; required by the mesh lane
	Meshcontrol string // control plane; the mesh lane runs without it when empty
}

// Refs lists the images that are set.
func (im Images) Refs() []string {
	var out []string
	for _, r := range []string{im.Meshbench, im.Meshproxy, im.Meshcontrol} {
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

// ProbeSource makes the probe of one running container.
type ProbeSource interface {
	Probe(ctx context.Context, pod *corev1.Pod, container, name, role string) (measure.Probe, error)
}

// Options of the platform.
type Options struct {
	Config *rest.Config
	Images Images
	Log    *slog.Logger
	// Probes defaults to the kubelet's /stats/summary.
	Probes ProbeSource
	// Name reported by Name() (kind wraps this platform).
	Name string
	// Client overrides the clientset built from Config (tests use a fake).
	Client kubernetes.Interface
	// PeerManifests is the directory of the generated Istio and Linkerd
	// manifests (`make peer-manifests`: bin/peers); without it the istio
	// and linkerd lanes are unavailable.
	PeerManifests string
	// PortForward reaches a port on a pod's loopback (a graph sidecar's
	// admin server); default client-go's port-forward through Config.
	PortForward PortForward
	// Signaller signals a container's process from inside its node (the
	// pause and fail faults); nil, the default, leaves them unsupported:
	// only kind, whose nodes the harness created, sets it.
	Signaller Signaller
}

// ManagedLabel marks every namespace the platform creates.
const ManagedLabel = "meshbench.io/managed"

// Platform implements platform.Platform on a Kubernetes cluster.
type Platform struct {
	opts Options
	cs   kubernetes.Interface

	mu   sync.Mutex
	live map[string]*topology // by namespace
	seq  int

	// peerMu serialises peer installs; peers by lane name.
	peerMu sync.Mutex
	peers  map[string]*peerState
}

// New returns a platform on the cluster of opts.Config.
func New(opts Options) (*Platform, error) {
	if opts.Config == nil {
		return nil, errors.New("kube: no cluster config")
	}
	if opts.Images.Meshbench == "" {
		return nil, errors.New("kube: the meshbench image is required")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Name == "" {
		opts.Name = "kube"
	}
	cs := opts.Client
	if cs == nil {
		var err error
		if cs, err = kubernetes.NewForConfig(opts.Config); err != nil {
			return nil, fmt.Errorf("kube: %w", err)
		}
	}
	if opts.Probes == nil {
		opts.Probes = &KubeletStats{cs: cs}
	}
	if opts.PortForward == nil {
		opts.PortForward = spdyPortForward(opts.Config)
	}
	return &Platform{opts: opts, cs: cs, live: map[string]*topology{}, peers: map[string]*peerState{}}, nil
}

// Name implements platform.Platform.
func (p *Platform) Name() string { return p.opts.Name }

// Client returns the platform's clientset.
func (p *Platform) Client() kubernetes.Interface { return p.cs }

// Up implements platform.Platform.
func (p *Platform) Up(ctx context.Context, spec platform.Spec) (platform.Topology, error) {
	peer, isPeer := peers.Lookup(spec.Lane)
	switch {
	case spec.Lane == platform.LaneNone, spec.Lane == platform.LaneMesh, isPeer:
	default:
		return nil, fmt.Errorf("lane %q runs on the local platform only (%s runs none, mesh, istio, linkerd): %w", spec.Lane, p.opts.Name, platform.ErrLaneUnavailable)
	}
	if spec.Graph != nil && isPeer {
		return nil, fmt.Errorf("lane %s cannot run a service graph on %s (lanes none and mesh can): %w", spec.Lane, p.opts.Name, platform.ErrLaneUnavailable)
	}
	var pm *peers.Manifest
	if isPeer {
		var err error
		if pm, err = p.ensurePeer(ctx, peer); err != nil {
			return nil, err
		}
	}
	if spec.Lane == platform.LaneMesh && results.IsIngressMode(spec.Mode) && p.opts.Images.Meshcontrol == "" {
		return nil, fmt.Errorf("lane mesh/%s needs the meshcontrol image (the gateway is configured over xDS only): %w", spec.Mode, platform.ErrLaneUnavailable)
	}
	if spec.Mesh.AccessLogPercent > 0 || spec.Mesh.Tracing != nil {
		return nil, fmt.Errorf("telemetry variants with access logs or tracing run on the local platform only (the harness's OTLP receiver listens on its loopback): %w", platform.ErrLaneUnavailable)
	}
	if n := spec.Mesh.AppReplicas; n > 1 && (spec.Lane != platform.LaneMesh || spec.Mode != platform.ModeClientOnly || spec.Graph != nil || p.opts.Images.Meshcontrol == "") {
		// Only there does the client sidecar balance over the app's pods:
		// meshcontrol gives it every ready pod IP of the app's Service.
		return nil, fmt.Errorf("unsupported on %s: %d app replicas (resilience.app_replicas) in lane %s: only lane mesh/clientonly with meshcontrol balances over them (the client sidecar gets every app pod's IP from the Service's EndpointSlices)", p.opts.Name, n, laneName(spec))
	}
	if spec.Lane == platform.LaneMesh && p.opts.Images.Meshproxy == "" {
		return nil, fmt.Errorf("lane mesh needs the meshproxy image (build meshproxy with CGO_ENABLED=0 next to meshbench): %w", platform.ErrLaneUnavailable)
	}
	p.mu.Lock()
	p.seq++
	ns := namespaceName(spec, p.seq)
	t := &topology{p: p, spec: spec, ns: ns, peer: pm}
	p.live[ns] = t
	p.mu.Unlock()
	if err := t.up(ctx); err != nil {
		_ = t.Down(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%s lane %s: %w", p.opts.Name, laneName(spec), err)
	}
	return t, nil
}

// Close implements platform.Platform: every namespace still up is deleted.
func (p *Platform) Close(ctx context.Context) error {
	p.mu.Lock()
	var ts []*topology
	for _, t := range p.live {
		ts = append(ts, t)
	}
	p.mu.Unlock()
	var errs []error
	for _, t := range ts {
		errs = append(errs, t.Down(ctx))
	}
	errs = append(errs, p.removePeers(ctx))
	return errors.Join(errs...)
}

func (p *Platform) forget(ns string) {
	p.mu.Lock()
	delete(p.live, ns)
	p.mu.Unlock()
}

func laneName(spec platform.Spec) string { return results.LaneLabel(spec.Lane, spec.Mode) }

func namespaceName(spec platform.Spec, seq int) string {
	n := "meshbench-" + spec.Lane
	if spec.Mode != "" {
		n += "-" + spec.Mode
	}
	// A namespace is an RFC 1123 label: mode ingress+both becomes ingress-both.
	n = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(n))
	return fmt.Sprintf("%s-%d-%s", n, seq, randSuffix())
}

func managedNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{ManagedLabel: "true"}}}
}
