package xds

import (
	"context"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// stream runs one ADS stream; got reports whether any response arrived.
func (c *Client) stream(ctx context.Context, conn *grpc.ClientConn, a xdsconfig.Applier) (bool, error) {
	c.mu.Lock()
	s := &session{c: c, a: a, pending: c.applied.clone(), names: map[string][]string{}, nonces: map[string]string{}}
	c.mu.Unlock()
	if c.opts.Protocol == ProtocolDelta {
		return c.deltaStream(ctx, conn, s)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return false, err
	}
	s.send = sender(c, st, func(r *discoveryv3.DiscoveryRequest, n *corev3.Node) { r.Node = n })
	return serve(ctx, s, st, func(t string) error {
		return s.send(&discoveryv3.DiscoveryRequest{TypeUrl: t, VersionInfo: s.pending.versions[t]})
	}, s.subscribe, s.handle)
}

// subscribe asks for a new set of names of a dependent type.
func (s *session) subscribe(typeURL string, names []string) error {
	if old, ok := s.names[typeURL]; ok && slices.Equal(old, names) {
		return nil
	}
	if len(names) == 0 && s.names[typeURL] == nil {
		return nil // nothing to ask for yet; an empty list would mean wildcard
	}
	s.names[typeURL] = names
	return s.send(&discoveryv3.DiscoveryRequest{
		TypeUrl: typeURL, VersionInfo: s.pending.versions[typeURL], ResourceNames: names, ResponseNonce: s.nonces[typeURL],
	})
}

func (s *session) handle(ctx context.Context, resp *discoveryv3.DiscoveryResponse) error {
	c := s.c
	size := proto.Size(resp)
	c.responses.Add(1)
	c.bytes.Add(int64(size))
	if c.opts.Observer != nil {
		c.opts.Observer.OnResponse(resp.TypeUrl, resp.VersionInfo, size)
	}
	s.nonces[resp.TypeUrl] = resp.Nonce
	next := s.pending.clone()
	err := next.set(resp.TypeUrl, resp.VersionInfo, resp.Resources)
	if err == nil {
		err = s.apply(ctx, next)
	}
	if err != nil {
		c.nacks.Add(1)
		c.log.Warn("rejecting configuration", "type", resp.TypeUrl, "version", resp.VersionInfo, "error", err)
		return s.ack(resp, s.pending.versions[resp.TypeUrl], err)
	}
	s.pending = next
	if err := s.ack(resp, resp.VersionInfo, nil); err != nil {
		return err
	}
	// New clusters or listeners may reference new dependent resources.
	if err := s.subscribe(xdsconfig.TypeEndpoint, next.edsNames()); err != nil {
		return err
	}
	if err := s.subscribe(xdsconfig.TypeRoute, next.rdsNames()); err != nil {
		return err
	}
	return s.subscribe(xdsconfig.TypeSecret, next.sdsNames())
}

func (s *session) ack(resp *discoveryv3.DiscoveryResponse, version string, nackErr error) error {
	req := &discoveryv3.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: version, ResponseNonce: resp.Nonce, ResourceNames: s.names[resp.TypeUrl]}
	if nackErr != nil {
		req.ErrorDetail = &status.Status{Code: int32(codes.InvalidArgument), Message: nackErr.Error()}
	}
	if err := s.send(req); err != nil {
		return err
	}
	if o := s.c.opts.Observer; o != nil {
		o.OnAck(resp.TypeUrl, version, nackErr != nil)
	}
	return nil
}
