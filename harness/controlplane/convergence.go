package controlplane

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshbench/meshbench/harness/results"
)

const (
	typeEndpoint = resource.EndpointType
	typeRoute    = resource.RouteType
)

// revision parses the "r<revision>-..." prefix meshcontrol puts on
// versions; -1 when absent.
func revision(version string) int64 {
	v, ok := strings.CutPrefix(version, "r")
	if !ok {
		return -1
	}
	n, _, _ := strings.Cut(v, "-")
	r, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return -1
	}
	return r
}

// pending is a change waiting for ACKs.
type pending struct {
	change
	waiting map[int]bool
}

// tracker resolves changes as simulated proxies ACK. Safe for concurrent
// use: every proxy's observer calls in from its own goroutine.
type tracker struct {
	mu      sync.Mutex
	open    []*pending
	acked   []map[string]int64 // per proxy: type -> highest ACKed revision
	samples []time.Duration
	nacks   atomic.Int64
	bytes   atomic.Int64
	pushes  atomic.Int64
}

func newTracker(proxies int) *tracker {
	t := &tracker{acked: make([]map[string]int64, proxies)}
	for i := range t.acked {
		t.acked[i] = map[string]int64{}
	}
	return t
}

// add registers a change just written; c.key names what its arrival is
// recorded under (the type for meshcontrol, whose versions carry the mesh
// revision; type and service for istiod, whose resources carry it).
func (t *tracker) add(c change) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := &pending{change: c, waiting: make(map[int]bool, len(c.affected))}
	for _, i := range c.affected {
		// A proxy may already be past this revision (a later change to
		// the same key reached it first): nothing to wait for.
		if t.acked[i][c.key] < c.rev {
			p.waiting[i] = true
		}
	}
	if len(p.waiting) == 0 {
		t.samples = append(t.samples, time.Since(c.at))
		return
	}
	t.open = append(t.open, p)
}

// ack records that proxy i ACKed revision rev of key.
func (t *tracker) ack(i int, key string, rev int64) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.acked[i][key]; !ok || rev > cur {
		t.acked[i][key] = rev
	}
	kept := t.open[:0]
	for _, p := range t.open {
		if p.key == key && p.rev <= rev && p.waiting[i] {
			delete(p.waiting, i)
		}
		if len(p.waiting) == 0 {
			t.samples = append(t.samples, now.Sub(p.at))
			continue
		}
		kept = append(kept, p)
	}
	t.open = kept
}

// outstanding returns how many changes still wait.
func (t *tracker) outstanding() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}

// held reports whether every proxy i has ACKed at least want[i] keys.
func (t *tracker) held(want []int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, a := range t.acked {
		if len(a) < want[i] {
			return false
		}
	}
	return true
}

// proxiesAcked counts the proxies that ACKed anything: where an initial
// push stands.
func (t *tracker) proxiesAcked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, a := range t.acked {
		if len(a) > 0 {
			n++
		}
	}
	return n
}

// minAcked is the lowest revision every proxy ACKed for typeURL.
func (t *tracker) minAcked(typeURL string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	low := int64(-1)
	for i, a := range t.acked {
		if i == 0 || a[typeURL] < low {
			low = a[typeURL]
		}
	}
	return low
}

// observer adapts one proxy's xds.Observer calls.
type observer struct {
	t *tracker
	i int
}

func (o observer) OnResponse(_, _ string, n int) {
	o.t.pushes.Add(1)
	o.t.bytes.Add(int64(n))
}

func (o observer) OnAck(typeURL, version string, nack bool) {
	if nack {
		o.t.nacks.Add(1)
		return
	}
	o.t.ack(o.i, typeURL, revision(version))
}

// percentiles of the converged samples, in milliseconds.
func percentiles(d []time.Duration) results.Percentiles {
	if len(d) == 0 {
		return results.Percentiles{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	q := func(p float64) float64 {
		idx := int(p*float64(len(s))+0.5) - 1
		idx = max(0, min(idx, len(s)-1))
		return float64(s[idx]) / 1e6
	}
	return results.Percentiles{P50: q(0.50), P75: q(0.75), P90: q(0.90), P99: q(0.99), P999: q(0.999), Max: float64(s[len(s)-1]) / 1e6}
}
