package cluster

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/internal/await"
)

// waitSystemReady waits until every pod in kube-system is Ready (or has
// completed). Nodes turn Ready the moment the CNI is in, which is when
// CoreDNS, kube-proxy and the storage provisioner only begin to start:
// their image unpacking and start-up burn the nodes' CPU for a while, the
// control-plane node's most (CoreDNS tolerates its taint, and the second
// load client runs there on three nodes). A first run started then saw its
// load client's own send lag at 26 ms and was invalid, while later runs
// were not; a cluster is ready for measuring once its system pods are.
func waitSystemReady(ctx context.Context, cs kubernetes.Interface, timeout, poll time.Duration) error {
	return await.Until(ctx, "kube-system pods to be Ready", poll, timeout, func(ctx context.Context) (bool, string, error) {
		pl, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil // the API server may still be starting: look again
		}
		if len(pl.Items) == 0 {
			return false, "no pods yet", nil
		}
		waiting := namesFailing(pl.Items, settled)
		return len(waiting) == 0, "not Ready: " + strings.Join(waiting, ", "), nil
	})
}

// settled: Ready, or ran to completion.
func settled(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded {
		return true
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
