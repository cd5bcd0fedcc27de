package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/harness/measure"
)

// KubeletStats reads containers from the kubelet's /stats/summary through
// the API server's node proxy. The kubelet serves cAdvisor's cached
// numbers (refreshed every ~10 s), so CPU over a short window is coarse;
// the kind platform reads cgroups instead.
type KubeletStats struct{ cs kubernetes.Interface }

// NewKubeletStats returns a ProbeSource over cs.
func NewKubeletStats(cs kubernetes.Interface) *KubeletStats { return &KubeletStats{cs: cs} }

// Probe implements ProbeSource.
// It waits (up to statsWait) until the kubelet reports the container, which
// takes one cAdvisor housekeeping period after the container starts.
func (k *KubeletStats) Probe(ctx context.Context, pod *corev1.Pod, container, name, role string) (measure.Probe, error) {
	if pod.Spec.NodeName == "" {
		return nil, fmt.Errorf("pod %s is not scheduled", pod.Name)
	}
	p := &kubeletProbe{cs: k.cs, node: pod.Spec.NodeName, ns: pod.Namespace, pod: pod.Name, container: container, name: name, role: role}
	deadline := time.Now().Add(statsWait)
	for {
		_, err := p.Sample(ctx)
		if err == nil {
			return p, nil
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// statsWait bounds the wait for a new container's first kubelet stats.
const statsWait = 45 * time.Second

type kubeletProbe struct {
	cs                       kubernetes.Interface
	node, ns, pod, container string
	name, role               string
}

func (p *kubeletProbe) Name() string { return p.name }
func (p *kubeletProbe) Role() string { return p.role }

// summary is the part of the kubelet's stats/v1alpha1 Summary read here.
type summary struct {
	Pods []struct {
		PodRef struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"podRef"`
		Containers []struct {
			Name string `json:"name"`
			CPU  *struct {
				UsageCoreNanoSeconds *uint64 `json:"usageCoreNanoSeconds"`
			} `json:"cpu"`
			Memory *struct {
				WorkingSetBytes *uint64 `json:"workingSetBytes"`
				RSSBytes        *uint64 `json:"rssBytes"`
			} `json:"memory"`
		} `json:"containers"`
	} `json:"pods"`
}

// Sample implements measure.Probe.
func (p *kubeletProbe) Sample(ctx context.Context) (measure.Sample, error) {
	raw, err := p.cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", p.node, "proxy", "stats", "summary").DoRaw(ctx)
	if err != nil {
		return measure.Sample{}, fmt.Errorf("%s: kubelet stats of %s: %w", p.name, p.node, err)
	}
	return parseSummary(raw, p.ns, p.pod, p.container)
}

func parseSummary(raw []byte, ns, pod, container string) (measure.Sample, error) {
	var s summary
	if err := json.Unmarshal(raw, &s); err != nil {
		return measure.Sample{}, fmt.Errorf("kubelet stats: %w", err)
	}
	for _, ps := range s.Pods {
		if ps.PodRef.Name != pod || ps.PodRef.Namespace != ns {
			continue
		}
		for _, c := range ps.Containers {
			if c.Name != container {
				continue
			}
			out := measure.Sample{Source: "kubelet"}
			if c.CPU != nil && c.CPU.UsageCoreNanoSeconds != nil {
				out.CPUSeconds = float64(*c.CPU.UsageCoreNanoSeconds) / 1e9
			}
			if c.Memory != nil && c.Memory.WorkingSetBytes != nil {
				out.RSSBytes = int64(*c.Memory.WorkingSetBytes)
			}
			return out, nil
		}
	}
	return measure.Sample{}, fmt.Errorf("kubelet stats: no container %s/%s/%s yet", ns, pod, container)
}
