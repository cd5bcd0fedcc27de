package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/internal/await"
)

// KubeletStats reads containers from the kubelet's /stats/summary through
// the API server's node proxy. The kubelet serves cAdvisor's cached
// numbers (refreshed every ~10 s) with the time each was taken, so the
// probe is a measure.EdgeSampler: at a window's edges it waits for stats
// taken at or after the edge (the load is idle then, before it starts and
// after it ends, so a later reading equals the edge's), and the CPU between
// the edges covers the window, not a stale stretch before it (which gave
// the app 174 us per request in one lane and 27 in the next). The kind
// platform reads cgroups directly instead.
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
	node := pod.Spec.NodeName
	fetch := func(ctx context.Context) ([]byte, error) {
		return k.cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", node, "proxy", "stats", "summary").DoRaw(ctx)
	}
	p := &kubeletProbe{fetch: fetch, node: node, ns: pod.Namespace, pod: pod.Name, container: container, name: name, role: role,
		poll: time.Second, freshWait: freshWait}
	err := await.Until(ctx, fmt.Sprintf("the kubelet of %s to report %s/%s container %s", node, pod.Namespace, pod.Name, container), time.Second, statsWait,
		func(ctx context.Context) (bool, string, error) {
			if _, err := p.Sample(ctx); err != nil {
				return false, err.Error(), nil
			}
			return true, "", nil
		})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// statsWait bounds the wait for a new container's first kubelet stats.
const statsWait = 45 * time.Second

// freshWait bounds the wait at a window's edge for stats taken at or
// after it: two cAdvisor housekeeping periods (10 s each by default) and
// some slack.
const freshWait = 30 * time.Second

type kubeletProbe struct {
	// fetch returns the node's stats summary (the seam tests fake).
	fetch                    func(ctx context.Context) ([]byte, error)
	node, ns, pod, container string
	name, role               string
	poll, freshWait          time.Duration
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
				Time                 time.Time `json:"time"`
				UsageCoreNanoSeconds *uint64   `json:"usageCoreNanoSeconds"`
			} `json:"cpu"`
			Memory *struct {
				Time            time.Time `json:"time"`
				WorkingSetBytes *uint64   `json:"workingSetBytes"`
				// RSSBytes is cAdvisor's "rss": the cgroup's anonymous
				// memory (memory.stat rss / anon), not a process's VmRSS.
				RSSBytes *uint64 `json:"rssBytes"`
			} `json:"memory"`
		} `json:"containers"`
	} `json:"pods"`
}

// Sample implements measure.Probe: the kubelet's latest stats, however old.
func (p *kubeletProbe) Sample(ctx context.Context) (measure.Sample, error) {
	s, _, err := p.read(ctx)
	return s, err
}

// SampleFresh implements measure.EdgeSampler: it polls until the
// kubelet's CPU stats of the container were taken at or after notBefore.
func (p *kubeletProbe) SampleFresh(ctx context.Context, notBefore time.Time) (measure.Sample, error) {
	var s measure.Sample
	err := await.Until(ctx, fmt.Sprintf("kubelet stats of %s taken at or after the window edge %s", p.node, notBefore.UTC().Format(time.RFC3339Nano)), p.poll, p.freshWait,
		func(ctx context.Context) (bool, string, error) {
			got, at, err := p.read(ctx)
			if err != nil {
				return false, err.Error(), nil
			}
			s = got
			return !at.Before(notBefore), "taken at " + at.UTC().Format(time.RFC3339Nano) + ", still before the window edge", nil
		})
	if err != nil {
		return measure.Sample{}, fmt.Errorf("%s: %w", p.name, err)
	}
	return s, nil
}

// read returns the container's latest stats and when its CPU was read.
func (p *kubeletProbe) read(ctx context.Context) (measure.Sample, time.Time, error) {
	raw, err := p.fetch(ctx)
	if err != nil {
		return measure.Sample{}, time.Time{}, fmt.Errorf("%s: kubelet stats of %s: %w", p.name, p.node, err)
	}
	return parseSummary(raw, p.ns, p.pod, p.container)
}

// parseSummary finds a container's stats. Memory is named as on every
// platform: the working set, and the anonymous part (cAdvisor's rssBytes);
// the kubelet has no resident-set figure, so RSSBytes stays 0.
func parseSummary(raw []byte, ns, pod, container string) (measure.Sample, time.Time, error) {
	var s summary
	if err := json.Unmarshal(raw, &s); err != nil {
		return measure.Sample{}, time.Time{}, fmt.Errorf("kubelet stats: %w", err)
	}
	for _, ps := range s.Pods {
		if ps.PodRef.Name != pod || ps.PodRef.Namespace != ns {
			continue
		}
		for _, c := range ps.Containers {
			if c.Name != container {
				continue
			}
			out := measure.Sample{Source: "kubelet", NoSplit: measure.NoSplitKubelet}
			var at time.Time
			if c.CPU != nil && c.CPU.UsageCoreNanoSeconds != nil {
				out.CPUSeconds = float64(*c.CPU.UsageCoreNanoSeconds) / 1e9
				at = c.CPU.Time
			}
			if c.Memory != nil {
				if c.Memory.WorkingSetBytes != nil {
					out.WorkingSetBytes = int64(*c.Memory.WorkingSetBytes)
				}
				if c.Memory.RSSBytes != nil {
					out.AnonBytes = int64(*c.Memory.RSSBytes)
				}
			}
			return out, at, nil
		}
	}
	return measure.Sample{}, time.Time{}, fmt.Errorf("kubelet stats: no container %s/%s/%s yet", ns, pod, container)
}
