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
	log     *slog.Logger
	cache   cachev3.SnapshotCache
	xds     serverv3.Server
	tracker *tracker

	// incarnation tells this process's versions from a previous one's, so
	// a proxy reconnecting after a restart never mistakes new content for
	// what it already runs.
	incarnation string

	mu    sync.Mutex
	nodes map[string]*nodeVersions
}

type nodeVersions struct {
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
	s := &Server{log: opts.Logger, nodes: map[string]*nodeVersions{}, incarnation: strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)}
	s.tracker = newTracker(opts.Logger, opts.Metrics, opts.ConvergenceDeadline)
	s.cache = cachev3.NewSnapshotCache(true, cachev3.IDHash{}, gcpLogger(opts.Logger))
	s.xds = serverv3.NewServer(ctx, s.cache, s.tracker)
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
	for id, p := range proxies {
		nv := s.nodes[id]
		if nv == nil {
			nv = &nodeVersions{hash: map[string]uint64{}, gen: map[string]uint64{}, versions: map[string]string{}}
			s.nodes[id] = nv
		}
		changed := map[string]uint64{}
		for _, t := range typeOrder {
			h := p.Hashes[t.url]
			if _, ok := nv.versions[t.url]; ok && nv.hash[t.url] == h {
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
		snap := snapshot(p, nv.versions)
		// Expect before setting: the cache may answer (and the proxy ACK)
		// before SetSnapshot returns.
		s.tracker.expect(c, id, changed)
		if err := s.cache.SetSnapshot(ctx, id, snap); err != nil {
			return fmt.Errorf("set snapshot for %s: %w", id, err)
		}
	}
	for id := range s.nodes {
		if _, ok := proxies[id]; !ok {
			s.cache.ClearSnapshot(id)
			delete(s.nodes, id)
		}
	}
	s.tracker.seal(c)
	return nil
}

func snapshot(p *translate.Proxy, versions map[string]string) *cachev3.Snapshot {
	r := &p.Resources
	snap := &cachev3.Snapshot{}
	items := map[string][]types.Resource{}
	for _, x := range r.Clusters {
		items[translate.TypeCluster] = append(items[translate.TypeCluster], x)
	}
	for _, x := range r.Endpoints {
		items[translate.TypeEndpoint] = append(items[translate.TypeEndpoint], x)
	}
	for _, x := range r.Listeners {
		items[translate.TypeListener] = append(items[translate.TypeListener], x)
	}
	for _, x := range r.Routes {
		items[translate.TypeRoute] = append(items[translate.TypeRoute], x)
	}
	for _, t := range typeOrder {
		snap.Resources[t.slot] = cachev3.NewResources(versions[t.url], items[t.url])
	}
	return snap
}

// Connected returns the ids of proxies with an open ADS stream.
func (s *Server) Connected() []string { return s.tracker.connected() }

// Acked returns the version a proxy last acknowledged for a type URL.
func (s *Server) Acked(node, typeURL string) string { return s.tracker.acked(node, typeURL) }

func gcpLogger(l *slog.Logger) gcplog.Logger {
	return gcplog.LoggerFuncs{
		DebugFunc: func(string, ...any) {}, // per-request chatter
		InfoFunc:  func(f string, a ...any) { l.Info(fmt.Sprintf(f, a...), "component", "xds") },
		WarnFunc:  func(f string, a ...any) { l.Warn(fmt.Sprintf(f, a...), "component", "xds") },
		ErrorFunc: func(f string, a ...any) { l.Error(fmt.Sprintf(f, a...), "component", "xds") },
	}
}
