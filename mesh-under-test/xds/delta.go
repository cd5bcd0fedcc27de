package xds

import (
	"context"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
)

// deltaSession is the state of one incremental (delta) ADS stream: the
// server sends only resources that changed, and removals by name.
type deltaSession struct {
	c       *Client
	send    func(*deltaRequest) error
	pending *state
	names   map[string][]string // subscribed names of EDS and RDS
	applier *session            // shares apply and rotation with the SotW session
}

// deltaStream runs one delta ADS stream; got reports whether any response
// arrived.
func (c *Client) deltaStream(ctx context.Context, conn *grpcwire.Conn, s *session) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := openStream(ctx, conn, methodDelta, (*deltaRequest).marshal, func(b []byte) (*deltaResponse, error) {
		r := &deltaResponse{size: len(b)}
		return r, r.unmarshal(b)
	})
	if err != nil {
		return false, err
	}
	defer st.st.Close()
	d := &deltaSession{c: c, pending: s.pending, names: map[string][]string{}, applier: s}
	d.send = sender(c, st, func(r *deltaRequest, n *corev3.Node) { r.Node = n })
	return serve(ctx, s, st, func(t string) error {
		return d.send(&deltaRequest{TypeURL: t, InitialResourceVersions: d.pending.resourceVersions[t]})
	}, d.subscribe, d.handle)
}

// subscribe moves the subscription of a dependent type to names.
func (d *deltaSession) subscribe(typeURL string, names []string) error {
	old, had := d.names[typeURL]
	if had && slices.Equal(old, names) || !had && len(names) == 0 {
		return nil
	}
	d.names[typeURL] = names
	req := &deltaRequest{TypeURL: typeURL}
	oldSet := map[string]bool{}
	for _, n := range old {
		oldSet[n] = true
	}
	newSet := map[string]bool{}
	for _, n := range names {
		newSet[n] = true
		if !oldSet[n] {
			req.Subscribe = append(req.Subscribe, n)
		}
	}
	for _, n := range old {
		if !newSet[n] {
			req.Unsubscribe = append(req.Unsubscribe, n)
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

func (d *deltaSession) handle(ctx context.Context, resp *deltaResponse) error {
	c := d.c
	size := resp.size
	c.responses.Add(1)
	c.bytes.Add(int64(size))
	if c.opts.Observer != nil {
		c.opts.Observer.OnResponse(resp.TypeURL, resp.SystemVersionInfo, size)
	}
	next := d.pending.clone()
	err := func() error {
		if next.resourceVersions[resp.TypeURL] == nil {
			next.resourceVersions[resp.TypeURL] = map[string]string{}
		}
		for _, r := range resp.Resources {
			name, err := next.update(resp.TypeURL, r.Resource)
			if err != nil {
				return err
			}
			next.resourceVersions[resp.TypeURL][name] = r.Version
		}
		for _, name := range resp.RemovedResources {
			next.remove(resp.TypeURL, name)
		}
		next.versions[resp.TypeURL] = resp.SystemVersionInfo
		return d.applier.apply(ctx, next)
	}()
	req := &deltaRequest{TypeURL: resp.TypeURL, ResponseNonce: resp.Nonce}
	version := resp.SystemVersionInfo
	if err != nil {
		c.nacks.Add(1)
		c.log.Warn("rejecting configuration", "type", resp.TypeURL, "version", resp.SystemVersionInfo, "error", err)
		req.ErrorDetail = &errorDetail{Code: codeInvalidArgument, Message: err.Error()}
		version = d.pending.versions[resp.TypeURL]
	} else {
		d.pending = next
	}
	if err := d.send(req); err != nil {
		return err
	}
	if o := c.opts.Observer; o != nil {
		o.OnAck(resp.TypeURL, version, err != nil)
	}
	if err != nil {
		return nil
	}
	// Follow clusters and listeners with what they reference, and forget
	// what they no longer do.
	eds, rds, sds := d.pending.edsNames(), d.pending.rdsNames(), d.pending.sdsNames()
	switch resp.TypeURL {
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
