package kind

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// A cluster is settled when it is quiet enough to measure on: every pod
// of every namespace Ready (or finished), no pod changing (created,
// deleted, its status updated), and the node containers' CPU together
// below a threshold, all for a few consecutive seconds. A fresh cluster
// is not, though its nodes and kube-system pods are Ready: its controllers
// sync, its system pods finish starting, the images just loaded are
// unpacked. TestKindE2E's first run, the none lane, measured then, sent
// 112.5 of 200 qps with a send lag p99 of 100 ms (2026-12-02 00:29 UTC,
// invalid), while the runs after it kept up. The kind platform waits for
// the cluster to settle before its first lane, within a bound, and then
// goes on either way: each run's own validity check stays the judge.
type settleRule struct {
	bound    time.Duration // the longest wait
	quiet    time.Duration // how long everything must stay quiet
	every    time.Duration // how often to look
	maxCores float64       // the node containers' CPU together, in cores
}

// defaultSettle: the node container of a quiet one-node cluster (API
// server, etcd, controllers, kubelet) used 0.12-0.45 of a core here,
// sampled every second for two minutes on a loaded host (2026-12-02).
var defaultSettle = settleRule{bound: 60 * time.Second, quiet: 3 * time.Second, every: time.Second, maxCores: 0.5}

// look is one view of the cluster at a time.
type look struct {
	at time.Time
	// pods: every pod, by namespace/name, with its resourceVersion: any
	// change of a pod changes it.
	pods map[string]string
	// unsettled says why each pod not Ready or finished is not.
	unsettled []string
	// cpu: each node container's CPU seconds so far, by node; nil when
	// they cannot be read (the pods alone decide then).
	cpu map[string]float64
}

// settleJudge decides from consecutive looks whether the cluster has been
// quiet for rule.quiet.
type settleJudge struct {
	rule  settleRule
	prev  *look
	since time.Time // when the current quiet stretch began; zero: busy
	busy  []string  // what the last look found busy
	cores float64   // the node containers' CPU between the last two looks
}

// observe takes the next look and reports whether the cluster is settled.
func (j *settleJudge) observe(l look) bool {
	busy := slices.Clone(l.unsettled)
	if j.prev == nil {
		busy = append(busy, "no earlier look to compare with")
	} else {
		busy = append(busy, changed(j.prev.pods, l.pods)...)
		if l.cpu != nil && j.prev.cpu != nil {
			if why := j.cpuBusy(j.prev, &l); why != "" {
				busy = append(busy, why)
			}
		}
	}
	prevAt := l.at
	if j.prev != nil {
		prevAt = j.prev.at
	}
	j.prev, j.busy = &l, busy
	if len(busy) > 0 {
		j.since = time.Time{}
		return false
	}
	if j.since.IsZero() {
		j.since = prevAt // quiet since the look before
	}
	return l.at.Sub(j.since) >= j.rule.quiet
}

// cpuBusy names the node containers' CPU between two looks when it is
// above the threshold, each node's share beside it.
func (j *settleJudge) cpuBusy(a, b *look) string {
	dt := b.at.Sub(a.at).Seconds()
	if dt <= 0 {
		return ""
	}
	var nodes []string
	total := 0.0
	for node, s := range b.cpu {
		c := (s - a.cpu[node]) / dt
		total += c
		nodes = append(nodes, fmt.Sprintf("%s %.2f", node, c))
	}
	j.cores = total
	if total <= j.rule.maxCores {
		return ""
	}
	slices.Sort(nodes)
	return fmt.Sprintf("node containers' CPU %.2f cores (%s), above %.2f", total, strings.Join(nodes, ", "), j.rule.maxCores)
}

// changed lists the pods created, deleted or updated between two looks.
func changed(before, after map[string]string) []string {
	var out []string
	for k, rv := range after {
		switch old, ok := before[k]; {
		case !ok:
			out = append(out, "pod "+k+" created")
		case old != rv:
			out = append(out, "pod "+k+" changed")
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, "pod "+k+" deleted")
		}
	}
	slices.Sort(out)
	return out
}

// settled is how a settle step ended.
type settled struct {
	took  time.Duration
	ok    bool     // quiet before the bound
	busy  []string // what was still busy when the bound was hit
	cores float64  // the node containers' CPU at the last look
}

// settle looks at the cluster every rule.every until the judge says it is
// settled or rule.bound passes. Only a cancelled ctx is an error: a
// cluster still busy at the bound is measured anyway, with a warning.
func settle(ctx context.Context, rule settleRule, view func(context.Context) (look, error), now func() time.Time) (settled, error) {
	j := &settleJudge{rule: rule}
	start := now()
	err := wait.PollUntilContextTimeout(ctx, rule.every, rule.bound, true, func(ctx context.Context) (bool, error) {
		l, err := view(ctx)
		if err != nil && ctx.Err() != nil {
			return false, nil // the bound ended this look: the last one's findings stand
		}
		if err != nil {
			j.prev, j.since, j.busy = nil, time.Time{}, []string{err.Error()}
			return false, nil
		}
		return j.observe(l), nil
	})
	out := settled{took: now().Sub(start), busy: j.busy, cores: j.cores}
	switch {
	case err == nil:
		out.ok = true
		return out, nil
	case ctx.Err() != nil:
		return out, fmt.Errorf("waiting for the cluster to settle: %w", ctx.Err())
	case wait.Interrupted(err):
		return out, nil
	}
	return out, err
}

// logSettled says how long the settle step took, or, when the bound was
// hit, what was still busy.
func logSettled(log *slog.Logger, cluster string, rule settleRule, s settled) {
	if s.ok {
		log.Info("kind cluster settled", "name", cluster, "took", s.took.Round(100*time.Millisecond), "node_cpu_cores", fmt.Sprintf("%.2f", s.cores))
		return
	}
	log.Warn("kind cluster not settled within its bound: measuring anyway (each run's validity check judges it)", "name", cluster,
		"bound", rule.bound, "busy", strings.Join(s.busy, "; "))
}
