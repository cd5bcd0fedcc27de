package server

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/protobuf/proto"

	"github.com/meshbench/meshbench/mesh-under-test/control/metrics"
)

// change is one translated registry or policy change awaiting ACKs.
type change struct {
	at        time.Time
	remaining int  // affected proxies that have not ACKed yet
	expected  int  // affected proxies
	sealed    bool // every affected proxy has been registered
	done      bool
}

// wait is what one proxy must ACK for one change: a generation per type.
type wait struct {
	c    *change
	want map[string]uint64
}

type nodeState struct {
	streams int
	types   map[string]bool   // type URLs the proxy subscribed to
	acked   map[string]string // last ACKed version per type
	waits   []*wait
}

// tracker implements go-control-plane's callbacks: it maps streams to
// proxies, counts pushes, bytes and NACKs, and resolves changes as ACKs
// arrive.
type tracker struct {
	serverv3.CallbackFuncs
	log      *slog.Logger
	m        *metrics.Metrics
	deadline time.Duration

	mu      sync.Mutex
	streams map[int64]string // stream id -> node id
	// sent is the last response per stream and type: nonce and version.
	sent  map[int64]map[string][2]string
	nodes map[string]*nodeState
	open  []*change
}

func newTracker(l *slog.Logger, m *metrics.Metrics, deadline time.Duration) *tracker {
	t := &tracker{log: l, m: m, deadline: deadline, streams: map[int64]string{}, sent: map[int64]map[string][2]string{}, nodes: map[string]*nodeState{}}
	t.StreamRequestFunc = t.onRequest
	t.StreamResponseFunc = t.onResponse
	t.StreamClosedFunc = t.onClosed
	t.StreamDeltaRequestFunc = t.onDeltaRequest
	t.StreamDeltaResponseFunc = t.onDeltaResponse
	t.DeltaStreamClosedFunc = t.onClosed
	return t
}

func (t *tracker) node(id string) *nodeState {
	n := t.nodes[id]
	if n == nil {
		n = &nodeState{types: map[string]bool{}, acked: map[string]string{}}
		t.nodes[id] = n
	}
	return n
}

// register maps a stream to its proxy; only the first request of a stream
// must carry the node. Called with t.mu held.
func (t *tracker) register(streamID int64, nodeID, typeURL string) *nodeState {
	id, ok := t.streams[streamID]
	if !ok {
		if nodeID == "" {
			return nil
		}
		id = nodeID
		t.streams[streamID] = id
		t.node(id).streams++
		t.setConnected()
	}
	n := t.node(id)
	n.types[typeURL] = true
	return n
}

func (t *tracker) nack(id, typeURL, nonce, msg string) {
	if t.m != nil {
		t.m.Nacks.WithLabelValues(typeURL).Inc()
	}
	t.log.Warn("proxy rejected configuration", "proxy", id, "type", typeURL, "nonce", nonce, "error", msg)
}

func (t *tracker) onDeltaRequest(streamID int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.register(streamID, req.GetNode().GetId(), req.TypeUrl)
	if n == nil || req.ResponseNonce == "" {
		return nil
	}
	if req.ErrorDetail != nil {
		// Delta streams remember what they sent, so a NACK is not re-sent.
		if s, ok := t.sent[streamID][req.TypeUrl]; ok && s[0] == req.ResponseNonce {
			t.rejectLocked(n, req.TypeUrl, s[1])
		}
		t.nack(t.streams[streamID], req.TypeUrl, req.ResponseNonce, req.ErrorDetail.GetMessage())
		return nil
	}
	// A delta ACK names no version: it is the one sent with its nonce.
	if s, ok := t.sent[streamID][req.TypeUrl]; ok && s[0] == req.ResponseNonce {
		t.ackLocked(n, req.TypeUrl, s[1])
	}
	return nil
}

func (t *tracker) onDeltaResponse(streamID int64, req *discoveryv3.DeltaDiscoveryRequest, resp *discoveryv3.DeltaDiscoveryResponse) {
	t.mu.Lock()
	if t.sent[streamID] == nil {
		t.sent[streamID] = map[string][2]string{}
	}
	t.sent[streamID][req.TypeUrl] = [2]string{resp.Nonce, resp.SystemVersionInfo}
	t.mu.Unlock()
	if t.m == nil {
		return
	}
	t.m.Pushes.WithLabelValues(req.TypeUrl).Inc()
	t.m.PushBytes.WithLabelValues(req.TypeUrl).Add(float64(proto.Size(resp)))
}

func (t *tracker) onRequest(streamID int64, req *discoveryv3.DiscoveryRequest) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.register(streamID, req.GetNode().GetId(), req.TypeUrl)
	if n == nil {
		return nil
	}
	id := t.streams[streamID]
	if req.ErrorDetail != nil {
		// The snapshot cache re-sends whenever the request's version
		// differs from the snapshot's, so a NACK (which carries the last
		// good version) would bounce the same bad resources back at once,
		// forever. Record the rejected version as the proxy's position
		// instead: the next change pushes again (Istio does the same).
		if s, ok := t.sent[streamID][req.TypeUrl]; ok && s[0] == req.ResponseNonce {
			req.VersionInfo = s[1]
			t.rejectLocked(n, req.TypeUrl, s[1])
		}
		t.nack(id, req.TypeUrl, req.ResponseNonce, req.ErrorDetail.GetMessage())
		return nil
	}
	if req.VersionInfo != "" {
		t.ackLocked(n, req.TypeUrl, req.VersionInfo)
	}
	return nil
}

// ackLocked records that n runs version of typeURL and resolves the
// changes that version satisfies.
func (t *tracker) ackLocked(n *nodeState, typeURL, version string) {
	n.acked[typeURL] = version
	gen := generation(version)
	kept := n.waits[:0]
	for _, w := range n.waits {
		if g, ok := w.want[typeURL]; ok && gen >= g {
			delete(w.want, typeURL)
		}
		if len(w.want) == 0 {
			t.resolve(w.c)
			continue
		}
		kept = append(kept, w)
	}
	n.waits = kept
}

// rejectLocked closes the changes n was to ACK at or below the version of
// typeURL it rejected: a change a proxy rejected never converges, and a
// later change's ACK (a higher generation) must not count for it.
func (t *tracker) rejectLocked(n *nodeState, typeURL, version string) {
	gen := generation(version)
	kept := n.waits[:0]
	for _, w := range n.waits {
		if g, ok := w.want[typeURL]; ok && g <= gen {
			if !w.c.done {
				w.c.done = true
				if t.m != nil {
					t.m.ChangesRejected.Inc()
				}
			}
			continue
		}
		kept = append(kept, w)
	}
	n.waits = kept
}

func (t *tracker) onResponse(_ context.Context, streamID int64, req *discoveryv3.DiscoveryRequest, resp *discoveryv3.DiscoveryResponse) {
	t.mu.Lock()
	if t.sent[streamID] == nil {
		t.sent[streamID] = map[string][2]string{}
	}
	t.sent[streamID][req.TypeUrl] = [2]string{resp.Nonce, resp.VersionInfo}
	t.mu.Unlock()
	if t.m == nil {
		return
	}
	t.m.Pushes.WithLabelValues(req.TypeUrl).Inc()
	t.m.PushBytes.WithLabelValues(req.TypeUrl).Add(float64(proto.Size(resp)))
}

func (t *tracker) onClosed(streamID int64, _ *corev3.Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.sent, streamID)
	id, ok := t.streams[streamID]
	if !ok {
		return
	}
	delete(t.streams, streamID)
	n := t.node(id)
	n.streams--
	if n.streams <= 0 {
		// A disconnected proxy is no longer waited for; it receives the
		// current configuration when it comes back.
		for _, w := range n.waits {
			t.resolve(w.c)
		}
		delete(t.nodes, id)
	}
	t.setConnected()
}

func (t *tracker) setConnected() {
	if t.m == nil {
		return
	}
	c := 0
	for _, n := range t.nodes {
		if n.streams > 0 {
			c++
		}
	}
	t.m.ConnectedProxies.Set(float64(c))
}

func (t *tracker) connected() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for id, n := range t.nodes {
		if n.streams > 0 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (t *tracker) acked(node, typeURL string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.nodes[node]; n != nil {
		return n.acked[typeURL]
	}
	return ""
}

// generation parses "r<rev>-<gen>"; unknown formats count as 0.
func generation(v string) uint64 {
	i := strings.LastIndexByte(v, '-')
	g, err := strconv.ParseUint(v[i+1:], 10, 64)
	if err != nil {
		return 0
	}
	return g
}
