package kube

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/resilience"
)

// The methods below make the topology a resilience.Faultable: the faults
// of a resilience scenario done the Kubernetes way. A killed component's
// pod is deleted through the API server (grace period 0: the kubelet
// stops its containers at once) and Kill returns when the API server no
// longer has it; Restart creates the pod again from the spec it had, as
// its controller would, and returns when the replacement is Ready. The
// harness plays the controller (the pods are bare Pods) so that the
// scenario's `until` says when the component is back, as on the local
// platform: a Deployment would replace it at once.

var _ resilience.Faultable = (*topology)(nil)

// unsupported is the error of a fault this platform cannot do.
func (t *topology) unsupported(format string, args ...any) error {
	return fmt.Errorf("%w on %s: %s", resilience.ErrUnsupported, t.p.opts.Name, fmt.Sprintf(format, args...))
}

// podOf is the pod a fault's component lives in.
func (t *topology) podOf(name string) (string, error) {
	switch name {
	case "meshcontrol":
		if !t.xds {
			return "", fmt.Errorf("no component %q in lane %s (no control plane)", name, laneName(t.spec))
		}
		return "meshcontrol", nil
	case "app":
		return "app", nil
	}
	return "", fmt.Errorf("no component %q to delete in lane %s (app, meshcontrol)", name, laneName(t.spec))
}

// Supports implements resilience.Faultable.
func (t *topology) Supports(kind, target string) error {
	name := resilience.ProcessName(target)
	if t.peer != nil {
		return t.unsupported("lane %s: the fault injectors act on the mesh under test's pods (lanes none and mesh)", laneName(t.spec))
	}
	switch kind {
	case resilience.KindKill:
		switch name {
		case "server-proxy":
			return t.supportsSidecarKill()
		case "client-proxy":
			return t.unsupported("%s is a sidecar container of the load client's pod, whose loss would end the load (kill server-proxy or app, or run the local platform)", target)
		}
		_, err := t.podOf(name)
		return err
	case resilience.KindAbort:
		if !t.xds {
			return t.unsupported("an abort is configured through meshcontrol, which lane %s does not run", laneName(t.spec))
		}
		return nil
	case resilience.KindFlood, resilience.KindSlowloris:
		if name != "server-proxy" || !t.serverSide {
			return t.unsupported("a %s reaches the server sidecar's inbound listener only (through a NodePort from the host); %s in lane %s has none", kind, target, laneName(t.spec))
		}
		if t.p.opts.Name != "kind" {
			return t.unsupported("a %s is sent from the host to a node's NodePort, and the harness attacks only loopback and the node containers of a kind cluster it created, never the machines of an existing cluster", kind)
		}
		return nil
	case resilience.KindPause, resilience.KindFail:
		if !slices.Contains(t.apps, name) {
			return t.unsupported("a %s signals an app container's process, and %q is none of this lane's app pods (%s)", kind, target, strings.Join(t.apps, ", "))
		}
		if t.p.opts.Signaller == nil {
			return t.unsupported("Kubernetes has no API to signal a container's process (the meshbench image is FROM scratch: no shell to exec kill in); the harness does it from inside the node, which it may only on a kind cluster it created, never on the machines of an existing cluster")
		}
		return nil
	case resilience.KindRestart:
		return t.supportsRestart(name)
	case resilience.KindRotate:
		if !t.xds {
			return t.unsupported("the certificates are signed by meshcontrol's CA, which lane %s does not run", laneName(t.spec))
		}
		return nil
	}
	return t.unsupported("fault kind %q", kind)
}

// Casualties implements resilience.Faultable: every measured container of
// the component's pod.
func (t *topology) Casualties(name string) []string {
	if isSidecar(name) {
		return []string{"server-proxy"}
	}
	pod, err := t.podOf(name)
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range t.members {
		if m.pod == pod {
			out = append(out, m.name)
		}
	}
	return out
}

// Kill implements resilience.Faultable: the component's pod is deleted
// with grace period 0; it returns once the API server no longer has it.
// The server sidecar is killed inside its pod instead (sidecarkill.go).
func (t *topology) Kill(ctx context.Context, name string) (string, error) {
	if isSidecar(name) {
		if err := t.supportsSidecarKill(); err != nil {
			return "", err
		}
		return t.killSidecar(ctx)
	}
	podName, err := t.podOf(name)
	if err != nil {
		return "", err
	}
	pods := t.p.cs.CoreV1().Pods(t.ns)
	pod, err := pods.Get(ctx, podName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("kill %s: %w", name, err)
	}
	t.faultMu.Lock()
	if t.deleted == nil {
		t.deleted = map[string]*corev1.Pod{}
	}
	t.deleted[podName] = pod.DeepCopy()
	for key := range t.containers {
		if strings.HasPrefix(key, podName+"/") {
			delete(t.containers, key) // its replacement runs other containers
		}
	}
	t.faultMu.Unlock()
	uid := pod.UID
	if err := pods.Delete(ctx, podName, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0)), Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil {
		return "", fmt.Errorf("kill %s: delete pod %s/%s: %w", name, t.ns, podName, err)
	}
	if err := t.waitGone(ctx, podName, uid); err != nil {
		return "", fmt.Errorf("kill %s: %w", name, err)
	}
	return fmt.Sprintf("pod %s uid %s on %s (deleted, grace 0)", podName, uid, pod.Spec.NodeName), nil
}

// Restart implements resilience.Faultable: the deleted pod is created again
// from its spec (a new UID and IP) and Restart returns once it is Ready.
func (t *topology) Restart(ctx context.Context, name string) (string, error) {
	if isSidecar(name) {
		return t.sidecarRestarted(ctx)
	}
	podName, err := t.podOf(name)
	if err != nil {
		return "", err
	}
	t.faultMu.Lock()
	old := t.deleted[podName]
	delete(t.deleted, podName)
	t.faultMu.Unlock()
	if old == nil {
		return "", fmt.Errorf("restart %s: its pod was not deleted by a fault", name)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: old.Name, Namespace: old.Namespace, Labels: old.Labels, Annotations: old.Annotations},
		Spec:       old.Spec,
	}
	// The scheduler places the replacement, as it would a controller's;
	// the priority admission computes priority again (a stored value that
	// disagrees with it is refused).
	pod.Spec.NodeName = ""
	pod.Spec.Priority, pod.Spec.PreemptionPolicy = nil, nil
	if _, err := t.p.cs.CoreV1().Pods(t.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("restart %s: create pod %s/%s: %w", name, t.ns, podName, err)
	}
	ready, err := t.waitReady(ctx, podName)
	if err != nil {
		return "", fmt.Errorf("restart %s: %w", name, err)
	}
	np := ready[podName]
	return fmt.Sprintf("pod %s uid %s on %s, IP %s (Ready)", podName, np.UID, np.Spec.NodeName, np.Status.PodIP), nil
}

// Alive implements resilience.Faultable: the component's pod exists, is
// not being deleted and is Ready.
func (t *topology) Alive(name string) bool {
	if isSidecar(name) {
		return t.sidecarAlive()
	}
	podName, err := t.podOf(name)
	if err != nil {
		return false
	}
	pod, err := t.p.cs.CoreV1().Pods(t.ns).Get(context.Background(), podName, metav1.GetOptions{})
	return err == nil && pod.DeletionTimestamp == nil && PodReady(pod)
}

// Scrape implements resilience.Faultable: meshcontrol's admin /metrics
// (the CA's certificate counter), or the client sidecar's in the load
// client's pod (its retry counters), both listening on their pod's
// loopback only, read through a port-forward opened for the scrape.
func (t *topology) Scrape(ctx context.Context, name string) (map[string]*dto.MetricFamily, error) {
	pod, port := "meshcontrol", meshcontrolAdminPort
	switch {
	case name == "meshcontrol" && t.xds:
	case name == "client-proxy" && t.clientSide && len(loadgenNames(t.spec.LoadClients)) == 1:
		pod, port = loadgenNames(t.spec.LoadClients)[0], adminPort
	default:
		return nil, fmt.Errorf("component %q has no metrics the harness reads in lane %s (meshcontrol; the client proxy of a single load client)", name, laneName(t.spec))
	}
	addr, stop, err := t.p.opts.PortForward(ctx, t.ns, pod, port)
	if err != nil {
		return nil, fmt.Errorf("%s admin: %w", name, err)
	}
	defer stop()
	return measure.ScrapeFamilies(ctx, "http://"+addr+"/metrics")
}

// OwnsAddr implements resilience.Owner: on kind, the server sidecar's
// NodePort on its node, a container the harness created, may be attacked.
func (t *topology) OwnsAddr(addr string) bool {
	t.faultMu.Lock()
	defer t.faultMu.Unlock()
	return t.p.opts.Name == "kind" && addr != "" && addr == t.inboundAddr
}

// Addr implements resilience.Faultable: the server sidecar's inbound
// listener as the host reaches it, through a NodePort Service (created on
// the first call) on the app pod's node.
func (t *topology) Addr(name string) (string, error) {
	if name != "server-proxy" || !t.serverSide {
		return "", fmt.Errorf("component %q has no listener the harness reaches in lane %s (server-proxy only)", name, laneName(t.spec))
	}
	t.faultMu.Lock()
	defer t.faultMu.Unlock()
	if t.inboundAddr != "" {
		return t.inboundAddr, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := t.p.cs.CoreV1().Services(t.ns).Create(ctx, inboundNodePort(), metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("server-proxy inbound NodePort: %w", err)
	}
	pod, err := t.p.cs.CoreV1().Pods(t.ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("server-proxy inbound: %w", err)
	}
	node, err := t.p.cs.CoreV1().Nodes().Get(ctx, pod.Spec.NodeName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("server-proxy inbound: node of the app pod: %w", err)
	}
	var ip string
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && ip == "" {
			ip = a.Address
		}
	}
	if ip == "" || len(svc.Spec.Ports) == 0 || svc.Spec.Ports[0].NodePort == 0 {
		return "", fmt.Errorf("server-proxy inbound: node %s has no InternalIP or the Service no NodePort", node.Name)
	}
	t.inboundAddr = net.JoinHostPort(ip, fmt.Sprint(svc.Spec.Ports[0].NodePort))
	return t.inboundAddr, nil
}
