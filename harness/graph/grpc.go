package graph

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The gRPC face of a graph service: one unary method whose request and
// response are google.protobuf.BytesValue (the request body, the response
// body), so any gRPC client can call it without generated code.
const (
	grpcService = "meshbench.graph.Service"
	grpcMethod  = "/" + grpcService + "/Call"
	// GRPCScheme marks a downstream called over gRPC: grpc://host:port.
	GRPCScheme = "grpc://"
)

// startGRPC makes the gRPC server (served on the HTTP port, over h2c) and a
// client connection per callee whose address has the grpc:// scheme.
func (h *handler) startGRPC() error {
	h.grpc = grpc.NewServer()
	h.grpc.RegisterService(&grpc.ServiceDesc{
		ServiceName: grpcService,
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "Call", Handler: h.grpcCall}},
	}, h)
	h.conns = map[string]*grpc.ClientConn{}
	dial := func(name, url string) error {
		target, ok := strings.CutPrefix(url, GRPCScheme)
		if !ok || h.conns[url] != nil {
			return nil
		}
		conn, err := grpc.NewClient("passthrough:///"+target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("service %s: callee %s: %w", h.o.Name, name, err)
		}
		h.conns[url] = conn
		return nil
	}
	for name, url := range h.o.Downstreams {
		if err := dial(name, url); err != nil {
			return err
		}
	}
	for name, ts := range h.o.Splits {
		for _, t := range ts {
			if err := dial(name, t.URL); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *handler) close() {
	for _, c := range h.conns {
		_ = c.Close()
	}
}

// grpcCall is the unary handler of Call (grpc.MethodHandler).
func (h *handler) grpcCall(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	var req wrapperspb.BytesValue
	if err := dec(&req); err != nil {
		return nil, err
	}
	in := http.Header{}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		for _, k := range forwarded {
			if v := md.Get(k); len(v) > 0 {
				in[k] = v
			}
		}
	}
	if err := h.serve(ctx, in); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return wrapperspb.Bytes(h.body), nil
}

func (h *handler) callGRPC(ctx context.Context, conn *grpc.ClientConn, c *Call, in http.Header) error {
	var md metadata.MD
	for _, k := range forwarded {
		for _, v := range in.Values(k) {
			md = metadata.Join(md, metadata.Pairs(k, v))
		}
	}
	for k, v := range c.Headers {
		md = metadata.Join(md, metadata.Pairs(k, v))
	}
	if md != nil {
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	var resp wrapperspb.BytesValue
	if err := conn.Invoke(ctx, grpcMethod, wrapperspb.Bytes(h.requestBody(c.RequestBytes)), &resp); err != nil {
		return fmt.Errorf("call %s: %w", c.Service, err)
	}
	return nil
}

// DownstreamURL is how a caller reaches callee at addr (host:port): over
// gRPC when the callee's type is grpc, else HTTP.
func DownstreamURL(callee *Service, addr string) string {
	if callee.Type == TypeGRPC {
		return GRPCScheme + addr
	}
	return "http://" + addr
}
