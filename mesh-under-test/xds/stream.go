package xds

import (
	"context"
	"fmt"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// adsStream is either ADS stream, state of the world or delta: they differ
// only in their request and response types.
type adsStream[Req, Resp any] interface {
	Send(*Req) error
	Recv() (*Resp, error)
}

// wireStream is an ADS stream over grpcwire: requests encoded and responses
// decoded by the message codecs of messages.go.
type wireStream[Req, Resp any] struct {
	st     *grpcwire.Stream
	encode func(*Req) ([]byte, error)
	decode func([]byte) (*Resp, error)
}

func (w wireStream[Req, Resp]) Send(r *Req) error {
	b, err := w.encode(r)
	if err != nil {
		return err
	}
	return w.st.Send(b)
}

func (w wireStream[Req, Resp]) Recv() (*Resp, error) {
	b, err := w.st.Recv()
	if err != nil {
		return nil, err
	}
	return w.decode(b)
}

// openStream opens an ADS stream of method on conn.
func openStream[Req, Resp any](ctx context.Context, conn *grpcwire.Conn, method string,
	encode func(*Req) ([]byte, error), decode func([]byte) (*Resp, error)) (wireStream[Req, Resp], error) {
	st, err := conn.NewStream(ctx, method)
	if err != nil {
		return wireStream[Req, Resp]{}, fmt.Errorf("open ADS stream: %w", err)
	}
	return wireStream[Req, Resp]{st: st, encode: encode, decode: decode}, nil
}

// sender serializes a stream's requests (certificate rotation sends from its
// own goroutine) and puts the node on the first one, as ADS asks.
func sender[Req, Resp any](c *Client, st adsStream[Req, Resp], setNode func(*Req, *corev3.Node)) func(*Req) error {
	var mu sync.Mutex
	first := true
	return func(r *Req) error {
		mu.Lock()
		defer mu.Unlock()
		if first {
			setNode(r, &corev3.Node{Id: c.opts.NodeID, UserAgentName: "meshproxy", Metadata: c.opts.Metadata})
			first = false
		}
		return st.Send(r)
	}
}

// serve opens a stream of either protocol and reads it to its end: a
// wildcard request each for clusters and listeners (stating what this proxy
// already runs, so the server answers only what differs), subscriptions to
// the endpoints and routes the running state names, certificate rotation,
// then every response to handle. got reports whether any response arrived.
func serve[Req, Resp any](ctx context.Context, s *session, st adsStream[Req, Resp],
	wildcard func(typeURL string) error, subscribe func(typeURL string, names []string) error,
	handle func(context.Context, *Resp) error) (got bool, err error) {
	for _, t := range []string{xdsconfig.TypeCluster, xdsconfig.TypeListener} {
		if err := wildcard(t); err != nil {
			return false, err
		}
	}
	if err := subscribe(xdsconfig.TypeEndpoint, s.pending.edsNames()); err != nil {
		return false, err
	}
	if err := subscribe(xdsconfig.TypeRoute, s.pending.rdsNames()); err != nil {
		return false, err
	}
	if s.c.opts.Certs != nil {
		go s.rotations(ctx)
	}
	for {
		resp, err := st.Recv()
		if err != nil {
			return got, err
		}
		got = true
		if err := handle(ctx, resp); err != nil {
			return got, err
		}
	}
}
