package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"fortio.org/fortio/fgrpc"
	"fortio.org/fortio/fhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/meshbench/meshbench/harness/httpsrv"
	"github.com/meshbench/meshbench/harness/results"
)

// ServeEcho runs fortio's echo handler (the app of every lane) on ln,
// speaking HTTP/1.1 and prior-knowledge h2c, until ctx is done.
func ServeEcho(ctx context.Context, ln net.Listener) error {
	return httpsrv.Serve(ctx, ln, http.HandlerFunc(fhttp.EchoHandler))
}

// ServeApp runs the app for a case's protocol on ln until ctx is done:
// fortio's HTTP echo for http1 and h2, fortio's gRPC Ping service (with
// the standard health service) for grpc, a byte echo for tcp.
func ServeApp(ctx context.Context, ln net.Listener, protocol string) error {
	switch {
	case HTTPEcho(protocol):
		return ServeEcho(ctx, ln)
	case protocol == results.ProtocolGRPC:
		return serveGRPCPing(ctx, ln)
	case protocol == results.ProtocolTCP:
		return serveTCPEcho(ctx, ln)
	default:
		return fmt.Errorf("app: protocol %q not served (%v)", protocol, Protocols())
	}
}

// HTTPEcho reports whether the app for protocol is fortio's HTTP echo (one
// server for HTTP/1.1 and h2c; "" is the default, http1): the app and its
// readiness probe are plain HTTP.
func HTTPEcho(protocol string) bool {
	return protocol == "" || protocol == results.ProtocolHTTP1 || protocol == results.ProtocolH2
}

// pingApp answers fortio's Ping with the request (payload included), as
// fortio's own ping server does, honouring the requested delay.
type pingApp struct{}

func (pingApp) Ping(ctx context.Context, in *fgrpc.PingMessage) (*fgrpc.PingMessage, error) {
	out := &fgrpc.PingMessage{Seq: in.GetSeq(), Ts: time.Now().UnixNano(), Payload: in.GetPayload(), DelayNanos: in.GetDelayNanos()}
	if d := time.Duration(in.GetDelayNanos()); d > 0 {
		select {
		case <-time.After(min(d, time.Minute)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

func serveGRPCPing(ctx context.Context, ln net.Listener) error {
	s := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus(fgrpc.DefaultHealthServiceName, grpc_health_v1.HealthCheckResponse_SERVING)
	grpc_health_v1.RegisterHealthServer(s, hs)
	fgrpc.RegisterPingServerServer(s, pingApp{})
	go func() {
		<-ctx.Done()
		s.Stop()
	}()
	if err := s.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// serveTCPEcho writes back every byte it reads, per connection, until the
// peer closes or ctx ends.
func serveTCPEcho(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	conns := map[net.Conn]struct{}{}
	var mu sync.Mutex
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(c, c)
			c.Close()
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}
