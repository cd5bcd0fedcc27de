package cluster

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/kind/pkg/cluster/nodes"

	"github.com/meshbench/meshbench/internal/await"
)

// cniConfPath is where containerd looks for CNI configs in a kind node.
const cniConfPath = "/etc/cni/net.d/10-meshbench.conflist"

// cniConflist is what kindnetd would write: a bridge with host-local IPAM on
// the node's pod CIDR, plus portmap. No masquerade: pods talk to pods and to
// nodes on the kind network, which routes back (routes below).
func cniConflist(podCIDR string) string {
	return fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "meshbench",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, podCIDR)
}

type nodeNet struct {
	name, ip, podCIDR string
}

// installCNI does kindnetd's job once: each node gets a conflist for its own
// pod CIDR and a route to every other node's pod CIDR via that node's IP.
// Idempotent, so a reused cluster is fixed up the same way.
func (m *Manager) installCNI(ctx context.Context, name string, cs kubernetes.Interface) error {
	kn, err := m.provider.ListNodes(name)
	if err != nil {
		return fmt.Errorf("list nodes of %q: %w", name, withOutput(err))
	}
	nets, err := waitPodCIDRs(ctx, cs, len(kn), time.Minute)
	if err != nil {
		return err
	}
	byName := map[string]nodeNet{}
	for _, n := range nets {
		byName[n.name] = n
	}
	for _, node := range kn {
		self, ok := byName[node.String()]
		if !ok {
			return fmt.Errorf("node %s has no Node object", node.String())
		}
		script := cniScript(self, nets)
		if err := node.CommandContext(ctx, "sh", "-euc", script).SetStdin(strings.NewReader(cniConflist(self.podCIDR))).Run(); err != nil {
			return fmt.Errorf("node %s: %w", node.String(), withOutput(err))
		}
		m.log.Debug("CNI installed", "node", node.String(), "podCIDR", self.podCIDR)
	}
	return nil
}

// cniScript writes the conflist from stdin and adds the routes.
func cniScript(self nodeNet, all []nodeNet) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "mkdir -p /etc/cni/net.d\ncat > %s.tmp\nmv %s.tmp %s\n", cniConfPath, cniConfPath, cniConfPath)
	for _, o := range all {
		if o.name == self.name {
			continue
		}
		fmt.Fprintf(&b, "ip route replace %s via %s\n", o.podCIDR, o.ip)
	}
	return b.String()
}

// waitPodCIDRs waits until want nodes are registered and the controller
// manager has given each a pod CIDR.
func waitPodCIDRs(ctx context.Context, cs kubernetes.Interface, want int, timeout time.Duration) ([]nodeNet, error) {
	var out []nodeNet
	err := await.Until(ctx, fmt.Sprintf("%d nodes with pod CIDRs (is the controller manager running?)", want), time.Second, timeout,
		func(ctx context.Context) (bool, string, error) {
			nl, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err.Error(), nil
			}
			out = out[:0]
			var without []string
			for _, n := range nl.Items {
				if ip := internalIP(&n); ip != "" && n.Spec.PodCIDR != "" {
					out = append(out, nodeNet{name: n.Name, ip: ip, podCIDR: n.Spec.PodCIDR})
				} else {
					without = append(without, n.Name)
				}
			}
			return len(out) >= want, fmt.Sprintf("%d of %d nodes registered, without a pod CIDR or address: %s", len(nl.Items), want, strings.Join(without, ", ")), nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func internalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && !strings.Contains(a.Address, ":") {
			return a.Address
		}
	}
	return ""
}

// nodeByName finds a kind node container.
func nodeByName(all []nodes.Node, name string) (nodes.Node, bool) {
	for _, n := range all {
		if n.String() == name {
			return n, true
		}
	}
	return nil, false
}
