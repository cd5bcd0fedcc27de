package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	gcplog "github.com/envoyproxy/go-control-plane/pkg/log"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"

	"github.com/meshbench/meshbench/mesh-under-test/control/metrics"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
)

// typeOrder lists the pushed types with their snapshot slots.
var typeOrder = []struct {
	url  string
	slot types.ResponseType
}{
	{translate.TypeCluster, types.Cluster},
	{translate.TypeEndpoint, types.Endpoint},
	{translate.TypeListener, types.Listener},
	{translate.TypeRoute, types.Route},
	// Secrets are gateway credentials only (translate.gatewaySecrets): a
	// workload's own certificate comes from the CA, never over ADS.
	{translate.TypeSecret, types.Secret},
}

// Options configure a Server.
type Options struct {
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	// ConvergenceDeadline drops a change some proxy has not ACKed after
	// this long (it NACKed or is stuck); default 30s.
	ConvergenceDeadline time.Duration
}

// Server is an ADS server over per-proxy snapshots. Update must not be
// called concurrently with itself; everything else is safe for concurrent
// use.
type Server struct {
	log *slog.Logger
	// caches holds one snapshot cache per resource type: an update of one
	// type then wakes only that type's watches (a single cache recomputes
	// every type's delta for every proxy on each update).
	caches  map[string]cachev3.SnapshotCache
	xds     serverv3.Server
	tracker *tracker

	// incarnation tells this process's versions from a previous one's, so
	// a proxy reconnecting after a restart never mistakes new content for
	// what it already runs.
	incarnation string

	mu    sync.Mutex
	nodes map[string]*nodeVersions
	baker *baker
}

type nodeVersions struct {
	snap     *proxySnapshot
	hash     map[string]uint64
	gen      map[string]uint64
	versions map[string]string
}

// New creates a Server; ctx bounds the xDS server's lifetime.
func New(ctx context.Context, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ConvergenceDeadline == 0 {
		opts.ConvergenceDeadline = 30 * time.Second
	}
	s := &Server{log: opts.Logger, nodes: map[string]*nodeVersions{}, incarnation: strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36), baker: newBaker()}
	s.tracker = newTracker(opts.Logger, opts.Metrics, opts.ConvergenceDeadline)
	s.caches = map[string]cachev3.SnapshotCache{}
	mux := &cachev3.MuxCache{
		Classify:      func(r *cachev3.Request) string { return r.GetTypeUrl() },
		ClassifyDelta: func(r *cachev3.DeltaRequest) string { return r.GetTypeUrl() },
		Caches:        map[string]cachev3.Cache{},
	}
	for _, t := range typeURLs() {
		c := cachev3.NewSnapshotCache(true, cachev3.IDHash{}, gcpLogger(opts.Logger))
		s.caches[t] = c
		mux.Caches[t] = c
	}
	s.xds = serverv3.NewServer(ctx, mux, s.tracker)
	return s
}

// Register adds the ADS service to g.
func (s *Server) Register(g *grpc.Server) {
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(g, s.xds)
}

// Update installs new configuration for every proxy in proxies (and
// removes proxies no longer present). changedAt is when the change was
// observed; convergence is measured from it. revision is stamped into the
// version strings.
func (s *Server) Update(ctx context.Context, proxies map[string]*translate.Proxy, revision int64, changedAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.tracker.newChange(changedAt)
	shared := map[string]*typeSet{}
	for id, p := range proxies {
		nv := s.nodes[id]
		if nv == nil {
			nv = &nodeVersions{hash: map[string]uint64{}, gen: map[string]uint64{}, versions: map[string]string{}}
			s.nodes[id] = nv
		}
		changed := map[string]uint64{}
		for _, t := range typeOrder {
			h, has := p.Hashes[t.url]
			if _, ok := nv.versions[t.url]; ok && nv.hash[t.url] == h || !has && t.url == translate.TypeSecret {
				// A proxy without secrets never subscribes to them: a
				// version it would never ACK would stall convergence.
				// One that loses its last credential stops referencing it.
				continue
			}
			nv.hash[t.url] = h
			nv.gen[t.url]++
			nv.versions[t.url] = fmt.Sprintf("r%d-%s-%d", revision, s.incarnation, nv.gen[t.url])
			changed[t.url] = nv.gen[t.url]
		}
		if len(changed) == 0 {
			continue
		}
		snap := snapshot(s.baker, p, nv.versions, changed, nv.snap, shared)
		nv.snap = snap
		// Expect before setting: the cache may answer (and the proxy ACK)
		// before SetSnapshot returns.
		s.tracker.expect(c, id, changed)
		for _, t := range typeOrder {
			if _, ok := changed[t.url]; !ok {
				continue
			}
			one := &proxySnapshot{types: map[string]*typeSet{t.url: snap.types[t.url]}}
			if err := s.caches[t.url].SetSnapshot(ctx, id, one); err != nil {
				return fmt.Errorf("set %s snapshot for %s: %w", t.url, id, err)
			}
		}
	}
	for id := range s.nodes {
		if _, ok := proxies[id]; !ok {
			for _, c := range s.caches {
				c.ClearSnapshot(id)
			}
			delete(s.nodes, id)
		}
	}
	s.tracker.seal(c)
	s.baker.sweep()
	return nil
}

// typeSet is one type's resources in the two shapes the cache asks for,
// built once and shared by every proxy with the same content.
type typeSet struct {
	version  string
	withTTL  map[string]types.ResourceWithTTL
	plain    map[string]types.Resource
	versions map[string]string // per resource, for delta xDS
}

// proxySnapshot implements cachev3.ResourceSnapshot without the per-call
// map copies of cachev3.Snapshot (whose GetResources rebuilds a map of
// every resource on each call: per push and per ACK, for every proxy).
type proxySnapshot struct {
	types map[string]*typeSet
}

var _ cachev3.ResourceSnapshot = (*proxySnapshot)(nil)

func (p *proxySnapshot) GetVersion(t string) string {
	if s := p.types[t]; s != nil {
		return s.version
	}
	return ""
}

func (p *proxySnapshot) GetResourcesAndTTL(t string) map[string]types.ResourceWithTTL {
	if s := p.types[t]; s != nil {
		return s.withTTL
	}
	return nil
}

func (p *proxySnapshot) GetResources(t string) map[string]types.Resource {
	if s := p.types[t]; s != nil {
		return s.plain
	}
	return nil
}

func (p *proxySnapshot) ConstructVersionMap() error { return nil }

func (p *proxySnapshot) GetVersionMap(t string) map[string]string {
	if s := p.types[t]; s != nil {
		return s.versions
	}
	return nil
}

func newTypeSet[T types.Resource](b *baker, version string, items []T, versions map[string]string) *typeSet {
	s := &typeSet{version: version, withTTL: make(map[string]types.ResourceWithTTL, len(items)), plain: make(map[string]types.Resource, len(items)), versions: versions}
	for _, x := range items {
		name := cachev3.GetResourceName(x)
		r := b.bake(x)
		s.withTTL[name] = types.ResourceWithTTL{Resource: r}
		s.plain[name] = r
	}
	if s.versions == nil {
		s.versions = map[string]string{}
	}
	return s
}

// snapshot builds p's snapshot, reusing prev's sets for the types that did
// not change and, through shared, one set of load assignments per egress
// group and version.
func snapshot(b *baker, p *translate.Proxy, versions map[string]string, changed map[string]uint64, prev *proxySnapshot, shared map[string]*typeSet) *proxySnapshot {
	r := &p.Resources
	snap := &proxySnapshot{types: make(map[string]*typeSet, len(typeOrder))}
	for _, t := range typeOrder {
		if _, ok := changed[t.url]; !ok && prev != nil {
			snap.types[t.url] = prev.types[t.url]
			continue
		}
		v := versions[t.url]
		switch t.url {
		case translate.TypeCluster:
			// Versions are per proxy, so shared sets are keyed by both.
			key := "c\x00" + p.ClusterKey + "\x00" + v
			if s, ok := shared[key]; ok {
				snap.types[t.url] = s
				continue
			}
			s := newTypeSet(b, v, r.Clusters, p.Versions(t.url))
			shared[key] = s
			snap.types[t.url] = s
		case translate.TypeEndpoint:
			key := "e\x00" + p.Group + "\x00" + v
			if s, ok := shared[key]; ok {
				snap.types[t.url] = s
				continue
			}
			s := newTypeSet(b, v, r.Endpoints, p.Versions(t.url))
			shared[key] = s
			snap.types[t.url] = s
		case translate.TypeListener:
			snap.types[t.url] = newTypeSet(b, v, r.Listeners, p.Versions(t.url))
		case translate.TypeRoute:
			snap.types[t.url] = newTypeSet(b, v, r.Routes, p.Versions(t.url))
		case translate.TypeSecret:
			snap.types[t.url] = newTypeSet(b, v, r.Secrets, p.Versions(t.url))
		}
	}
	return snap
}

func typeURLs() []string {
	out := make([]string, 0, len(typeOrder))
	for _, t := range typeOrder {
		out = append(out, t.url)
	}
	return out
}

// Connected returns the ids of proxies with an open ADS stream.
func (s *Server) Connected() []string { return s.tracker.connected() }

// Acked returns the version a proxy last acknowledged for a type URL.
func (s *Server) Acked(node, typeURL string) string { return s.tracker.acked(node, typeURL) }

// gcpLogger adapts slog for go-control-plane. Its Info messages are per
// watch (and print whole subscriptions), so they go to Debug, and nothing
// is formatted unless the level is enabled: formatting a thousand-name
// subscription per watch once cost a quarter of meshcontrol's CPU.
func gcpLogger(l *slog.Logger) gcplog.Logger {
	at := func(level slog.Level) func(string, ...any) {
		return func(f string, a ...any) {
			if l.Enabled(context.Background(), level) {
				l.Log(context.Background(), level, fmt.Sprintf(f, a...), "component", "xds")
			}
		}
	}
	return gcplog.LoggerFuncs{DebugFunc: func(string, ...any) {}, InfoFunc: at(slog.LevelDebug), WarnFunc: at(slog.LevelWarn), ErrorFunc: at(slog.LevelError)}
}
