package xds_test

import (
	"net"
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

type tlsSecret = tlsv3.Secret

func serveGRPC(t *testing.T, register func(*grpc.Server)) (string, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := grpc.NewServer()
	register(g)
	go g.Serve(lis)
	return lis.Addr().String(), g.Stop
}
