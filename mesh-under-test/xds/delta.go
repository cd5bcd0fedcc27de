package xds

import (
	"context"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// deltaSession is the state of one incremental (delta) ADS stream: the
// server sends only resources that changed, and removals by name.
type deltaSession struct {
	c       *Client
	send    func(*discoveryv3.DeltaDiscoveryRequest) error
	pending *state
	names   map[string][]string // subscribed names of EDS and RDS
	applier *session            // shares apply and rotation with the SotW session
}

// deltaStream runs one delta ADS stream; got reports whether any response
// arrived.
func (c *Client) deltaStream(ctx context.Context, conn *grpc.ClientConn, s *session) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		return false, err
	}
	d := &deltaSession{c: c, pending: s.pending, names: map[string][]string{}, applier: s}
	d.send = sender(c, st, func(r *discoveryv3.DeltaDiscoveryRequest, n *corev3.Node) { r.Node = n })
	return serve(ctx, s, st, func(t string) error {
		return d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: t, InitialResourceVersions: d.pending.resourceVersions[t]})
	}, d.subscribe, d.handle)
}

// subscribe moves the subscription of a dependent type to names.
func (d *deltaSession) subscribe(typeURL string, names []string) error {
	old, had := d.names[typeURL]
	if had && slices.Equal(old, names) || !had && len(names) == 0 {
		return nil
	}
	d.names[typeURL] = names
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL}
	oldSet := map[string]bool{}
	for _, n := range old {
		oldSet[n] = true
	}
	newSet := map[string]bool{}
	for _, n := range names {
		newSet[n] = true
		if !oldSet[n] {
			req.ResourceNamesSubscribe = append(req.ResourceNamesSubscribe, n)
		}
	}
	for _, n := range old {
		if !newSet[n] {
			req.ResourceNamesUnsubscribe = append(req.ResourceNamesUnsubscribe, n)
		}
	}
	if !had {
		// First request of this type on this stream: say what we have.
		req.InitialResourceVersions = map[string]string{}
		for _, n := range names {
			if v, ok := d.pending.resourceVersions[typeURL][n]; ok {
				req.InitialResourceVersions[n] = v
			}
		}
	}
	return d.send(req)
}

func (d *deltaSession) handle(ctx context.Context, resp *discoveryv3.DeltaDiscoveryResponse) error {
	c := d.c
	size := proto.Size(resp)
	c.responses.Add(1)
	c.bytes.Add(int64(size))
	if c.opts.Observer != nil {
		c.opts.Observer.OnResponse(resp.TypeUrl, resp.SystemVersionInfo, size)
	}
	next := d.pending.clone()
	err := func() error {
		if next.resourceVersions[resp.TypeUrl] == nil {
			next.resourceVersions[resp.TypeUrl] = map[string]string{}
		}
		for _, r := range resp.Resources {
			name, err := next.update(resp.TypeUrl, r.Resource)
			if err != nil {
				return err
			}
			next.resourceVersions[resp.TypeUrl][name] = r.Version
		}
		for _, name := range resp.RemovedResources {
			next.remove(resp.TypeUrl, name)
		}
		next.versions[resp.TypeUrl] = resp.SystemVersionInfo
		return d.applier.apply(ctx, next)
	}()
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}
	version := resp.SystemVersionInfo
	if err != nil {
		c.nacks.Add(1)
		c.log.Warn("rejecting configuration", "type", resp.TypeUrl, "version", resp.SystemVersionInfo, "error", err)
		req.ErrorDetail = &status.Status{Code: int32(codes.InvalidArgument), Message: err.Error()}
		version = d.pending.versions[resp.TypeUrl]
	} else {
		d.pending = next
	}
	if err := d.send(req); err != nil {
		return err
	}
	if o := c.opts.Observer; o != nil {
		o.OnAck(resp.TypeUrl, version, err != nil)
	}
	if err != nil {
		return nil
	}
	// Follow clusters and listeners with what they reference, and forget
	// what they no longer do.
	eds, rds, sds := d.pending.edsNames(), d.pending.rdsNames(), d.pending.sdsNames()
	switch resp.TypeUrl {
	case xdsconfig.TypeCluster:
		prune(d.pending, xdsconfig.TypeEndpoint, eds)
	case xdsconfig.TypeListener:
		prune(d.pending, xdsconfig.TypeRoute, rds)
		prune(d.pending, xdsconfig.TypeSecret, sds)
	}
	if err := d.subscribe(xdsconfig.TypeEndpoint, eds); err != nil {
		return err
	}
	if err := d.subscribe(xdsconfig.TypeRoute, rds); err != nil {
		return err
	}
	return d.subscribe(xdsconfig.TypeSecret, sds)
}

// prune drops resources of a dependent type that are no longer referenced.
func prune(s *state, typeURL string, keep []string) {
	set := map[string]bool{}
	for _, n := range keep {
		set[n] = true
	}
	var have []string
	switch typeURL {
	case xdsconfig.TypeEndpoint:
		have = slices.Collect(maps.Keys(s.endpoints))
	case xdsconfig.TypeRoute:
		have = slices.Collect(maps.Keys(s.routes))
	case xdsconfig.TypeSecret:
		have = slices.Collect(maps.Keys(s.secrets))
	}
	for _, n := range have {
		if !set[n] {
			s.remove(typeURL, n)
		}
	}
}
