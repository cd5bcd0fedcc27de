package xds

import (
	"context"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// stream runs one ADS stream; got reports whether any response arrived.
func (c *Client) stream(ctx context.Context, conn *grpcwire.Conn, a xdsconfig.Applier) (bool, error) {
	c.mu.Lock()
	s := &session{c: c, a: a, pending: c.applied.clone(), names: map[string][]string{}, nonces: map[string]string{}}
	c.mu.Unlock()
	if c.opts.Protocol == ProtocolDelta {
		return c.deltaStream(ctx, conn, s)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := openStream(ctx, conn, methodSotW, (*discoveryRequest).marshal, func(b []byte) (*discoveryResponse, error) {
		r := &discoveryResponse{size: len(b)}
		return r, r.unmarshal(b)
	})
	if err != nil {
		return false, err
	}
	defer st.st.Close()
	s.send = sender(c, st, func(r *discoveryRequest, n *corev3.Node) { r.Node = n })
	return serve(ctx, s, st, func(t string) error {
		return s.send(&discoveryRequest{TypeURL: t, VersionInfo: s.pending.versions[t]})
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
	return s.send(&discoveryRequest{
		TypeURL: typeURL, VersionInfo: s.pending.versions[typeURL], ResourceNames: names, ResponseNonce: s.nonces[typeURL],
	})
}

func (s *session) handle(ctx context.Context, resp *discoveryResponse) error {
	c := s.c
	size := resp.size
	c.responses.Add(1)
	c.bytes.Add(int64(size))
	if c.opts.Observer != nil {
		c.opts.Observer.OnResponse(resp.TypeURL, resp.VersionInfo, size)
	}
	s.nonces[resp.TypeURL] = resp.Nonce
	next := s.pending.clone()
	err := next.set(resp.TypeURL, resp.VersionInfo, resp.Resources)
	if err == nil {
		err = s.apply(ctx, next)
	}
	if err != nil {
		c.nacks.Add(1)
		c.log.Warn("rejecting configuration", "type", resp.TypeURL, "version", resp.VersionInfo, "error", err)
		return s.ack(resp, s.pending.versions[resp.TypeURL], err)
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

func (s *session) ack(resp *discoveryResponse, version string, nackErr error) error {
	req := &discoveryRequest{TypeURL: resp.TypeURL, VersionInfo: version, ResponseNonce: resp.Nonce, ResourceNames: s.names[resp.TypeURL]}
	if nackErr != nil {
		req.ErrorDetail = &errorDetail{Code: codeInvalidArgument, Message: nackErr.Error()}
	}
	if err := s.send(req); err != nil {
		return err
	}
	if o := s.c.opts.Observer; o != nil {
		o.OnAck(resp.TypeURL, version, nackErr != nil)
	}
	return nil
}
