package registry

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listerscorev1 "k8s.io/client-go/listers/core/v1"
	listersdiscoveryv1 "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// AnnotationInboundPort on a pod names the port its sidecar's inbound
// listener uses; endpoints of such pods point there, which makes them
// proxied (mTLS applies towards them).
const AnnotationInboundPort = "meshbench.io/inbound-port"

// AnnotationProxyID on such a pod is its sidecar's xDS node id: the
// endpoint's Sidecar, which makes it proxied (mTLS with that proxy's
// identity) when the sidecar listens on every address of the pod rather
// than on the one the mesh file names.
const AnnotationProxyID = "meshbench.io/proxy-id"

// KubeOptions configure the Kubernetes registry.
type KubeOptions struct {
	Client kubernetes.Interface
	// Namespaces to watch; empty watches all.
	Namespaces []string
	Logger     *slog.Logger
	// Resync is the informers' resync period (default 0: none).
	Resync time.Duration
}

// Kube is a registry of Kubernetes Services whose endpoints come from
// EndpointSlices and whose endpoint labels come from the Pods behind them.
// Services with the same name in two namespaces collide; the first (by
// namespace order) wins.
type Kube struct {
	opts KubeOptions

	mu       sync.RWMutex
	services []meshconfig.Service
	synced   chan struct{}
}

// NewKube returns a Kubernetes registry; it watches once Run is called.
func NewKube(opts KubeOptions) *Kube {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Kube{opts: opts, synced: make(chan struct{})}
}

// Synced implements Syncer: closed once the informers' caches synced and
// the first Snapshot was computed from them.
func (k *Kube) Synced() <-chan struct{} { return k.synced }

// Name implements Source.
func (k *Kube) Name() string { return "kubernetes" }

// Snapshot implements Source.
func (k *Kube) Snapshot() Snapshot {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return Snapshot{Services: k.services}
}

type listers struct {
	svc   []listerscorev1.ServiceLister
	slice []listersdiscoveryv1.EndpointSliceLister
	pod   []listerscorev1.PodLister
}

// Run implements Source.
func (k *Kube) Run(ctx context.Context, changed func()) error {
	nss := k.opts.Namespaces
	if len(nss) == 0 {
		nss = []string{corev1.NamespaceAll}
	}
	var ls listers
	var synced []cache.InformerSynced
	kick := make(chan struct{}, 1)
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify(kick) },
		UpdateFunc: func(any, any) { notify(kick) },
		DeleteFunc: func(any) { notify(kick) },
	}
	for _, ns := range nss {
		f := informers.NewSharedInformerFactoryWithOptions(k.opts.Client, k.opts.Resync, informers.WithNamespace(ns))
		svc := f.Core().V1().Services()
		slices := f.Discovery().V1().EndpointSlices()
		pods := f.Core().V1().Pods()
		for _, inf := range []cache.SharedIndexInformer{svc.Informer(), slices.Informer(), pods.Informer()} {
			if _, err := inf.AddEventHandler(handler); err != nil {
				return fmt.Errorf("kubernetes registry: %w", err)
			}
			synced = append(synced, inf.HasSynced)
		}
		ls.svc = append(ls.svc, svc.Lister())
		ls.slice = append(ls.slice, slices.Lister())
		ls.pod = append(ls.pod, pods.Lister())
		f.Start(ctx.Done())
		defer f.Shutdown()
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("kubernetes registry: caches did not sync: %w", ctx.Err())
	}
	first := true
	for {
		if err := k.recompute(ls); err != nil {
			k.opts.Logger.Warn("kubernetes registry", "error", err)
		} else {
			changed()
		}
		if first {
			first = false
			close(k.synced)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-kick:
		}
	}
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (k *Kube) recompute(ls listers) error {
	var out []meshconfig.Service
	seen := map[string]bool{}
	for i := range ls.svc {
		svcs, err := ls.svc[i].List(labels.Everything())
		if err != nil {
			return err
		}
		sort.Slice(svcs, func(a, b int) bool {
			return svcs[a].Namespace+"/"+svcs[a].Name < svcs[b].Namespace+"/"+svcs[b].Name
		})
		for _, svc := range svcs {
			if seen[svc.Name] || len(svc.Spec.Ports) == 0 {
				continue
			}
			seen[svc.Name] = true
			s, err := k.service(svc, ls.slice[i], ls.pod[i])
			if err != nil {
				return err
			}
			out = append(out, s)
		}
	}
	k.mu.Lock()
	k.services = out
	k.mu.Unlock()
	return nil
}

// service converts one Service; its first port is the mesh's service port.
func (k *Kube) service(svc *corev1.Service, sl listersdiscoveryv1.EndpointSliceLister, pl listerscorev1.PodLister) (meshconfig.Service, error) {
	port := svc.Spec.Ports[0]
	s := meshconfig.Service{Name: svc.Name, Namespace: svc.Namespace, Port: int(port.Port), Protocol: protocol(port)}
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name})
	slices, err := sl.EndpointSlices(svc.Namespace).List(sel)
	if err != nil {
		return s, err
	}
	for _, es := range slices {
		var target int32
		for _, p := range es.Ports {
			if p.Port != nil && (p.Name == nil || *p.Name == port.Name) {
				target = *p.Port
				break
			}
		}
		if target == 0 {
			continue
		}
		for _, ep := range es.Endpoints {
			use, draining := endpointState(ep.Conditions)
			if !use || len(ep.Addresses) == 0 {
				continue
			}
			e := meshconfig.Endpoint{Address: net.JoinHostPort(ep.Addresses[0], strconv.Itoa(int(target))), Weight: 1, Draining: draining}
			if ref := ep.TargetRef; ref != nil && ref.Kind == "Pod" {
				if pod, err := pl.Pods(svc.Namespace).Get(ref.Name); err == nil {
					e.Labels = pod.Labels
					if p, err := strconv.Atoi(pod.Annotations[AnnotationInboundPort]); err == nil && p > 0 {
						e.Address = net.JoinHostPort(ep.Addresses[0], strconv.Itoa(p))
						e.Sidecar = pod.Annotations[AnnotationProxyID]
					}
				}
			}
			s.Endpoints = append(s.Endpoints, e)
		}
	}
	sort.Slice(s.Endpoints, func(a, b int) bool { return s.Endpoints[a].Address < s.Endpoints[b].Address })
	return s, nil
}

// endpointState reads an EndpointSlice endpoint's conditions. Ready (nil
// counts as ready, as the API says) is in service. A pod being deleted
// gracefully stays in its slice with ready false, terminating true and
// serving true while it finishes its work: it is kept, draining (EDS
// DRAINING: no new requests, those in flight complete). Not ready and not
// serving (a terminating pod past serving, or one never ready) is left out:
// the proxies remove it. Serving nil on a terminating endpoint (a server
// older than the serving condition) counts as not serving.
func endpointState(c discoveryv1.EndpointConditions) (use, draining bool) {
	if c.Ready == nil || *c.Ready {
		return true, false
	}
	if c.Terminating != nil && *c.Terminating && c.Serving != nil && *c.Serving {
		return true, true
	}
	return false, false
}

// protocol follows Istio's rules: appProtocol, then the port name's prefix.
func protocol(p corev1.ServicePort) string {
	name := strings.ToLower(p.Name)
	if p.AppProtocol != nil {
		name = strings.ToLower(*p.AppProtocol)
	}
	switch {
	case p.Protocol == corev1.ProtocolUDP:
		return meshconfig.ProtocolTCP
	case strings.HasPrefix(name, "grpc"):
		return meshconfig.ProtocolGRPC
	case strings.HasPrefix(name, "http2"), strings.HasPrefix(name, "h2"), strings.HasPrefix(name, "kubernetes.io/h2c"):
		return meshconfig.ProtocolHTTP2
	case strings.HasPrefix(name, "http"):
		return meshconfig.ProtocolHTTP
	default:
		return meshconfig.ProtocolTCP
	}
}
