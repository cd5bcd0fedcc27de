package grpcwire_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
)

// echoServer is a real grpc-go server whose every method echoes each
// request (a BytesValue) until the client half-closes, then ends with the
// status the first request names (a "fail:" prefix) or OK. It records the
// metadata of the last call.
func echoServer(t *testing.T) (addr string, md <-chan metadata.MD) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mdc := make(chan metadata.MD, 16)
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, st grpc.ServerStream) error {
		m, _ := metadata.FromIncomingContext(st.Context())
		m = m.Copy()
		if _, ok := st.Context().Deadline(); ok {
			m.Set("test-deadline", "set")
		}
		mdc <- m
		for {
			in := &wrapperspb.BytesValue{}
			if err := st.RecvMsg(in); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if v := string(in.Value); len(v) > 5 && v[:5] == "fail:" {
				return status.Error(codes.PermissionDenied, v[5:])
			}
			if err := st.SendMsg(in); err != nil {
				return err
			}
		}
	}))
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String(), mdc
}

func bytesMsg(t *testing.T, s string) []byte {
	b, err := proto.Marshal(wrapperspb.Bytes([]byte(s)))
	require.NoError(t, err)
	return b
}

func value(t *testing.T, b []byte) string {
	m := &wrapperspb.BytesValue{}
	require.NoError(t, proto.Unmarshal(b, m))
	return string(m.Value)
}

func TestUnaryAgainstGRPCGo(t *testing.T) {
	addr, md := echoServer(t)
	c, err := grpcwire.New(grpcwire.Options{Addr: addr, UserAgent: "meshproxy-test"})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	out, err := c.Invoke(ctx, "/test.Echo/Unary", "", bytesMsg(t, "hello"))
	require.NoError(t, err)
	assert.Equal(t, "hello", value(t, out))
	got := <-md
	assert.Contains(t, got.Get("user-agent")[0], "meshproxy-test")
	assert.Equal(t, []string{"set"}, got.Get("test-deadline"), "the deadline travels")

	// A status with a message grpc-go percent-encodes comes back decoded.
	_, err = c.Invoke(ctx, "/test.Echo/Unary", "", bytesMsg(t, "fail:no 100% ünïcode\nhere"))
	var st *grpcwire.StatusError
	require.True(t, errors.As(err, &st), "%v", err)
	assert.Equal(t, int(codes.PermissionDenied), st.Code)
	assert.Equal(t, "no 100% ünïcode\nhere", st.Message)
	assert.Equal(t, int(codes.PermissionDenied), grpcwire.Code(err))

	// The connection is reused after an error status.
	out, err = c.Invoke(ctx, "/test.Echo/Unary", "", bytesMsg(t, "again"))
	require.NoError(t, err)
	assert.Equal(t, "again", value(t, out))
}

func TestStreamAgainstGRPCGo(t *testing.T) {
	addr, _ := echoServer(t)
	c, err := grpcwire.New(grpcwire.Options{Addr: addr})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	st, err := c.NewStream(ctx, "/test.Echo/Stream")
	require.NoError(t, err)
	big := string(make([]byte, 100<<10)) // larger than one frame and the initial window
	for _, v := range []string{"a", big, "c"} {
		require.NoError(t, st.Send(bytesMsg(t, v)))
		got, err := st.Recv()
		require.NoError(t, err)
		assert.Equal(t, v, value(t, got))
	}
	require.NoError(t, st.CloseSend())
	_, err = st.Recv()
	assert.Equal(t, io.EOF, err, "status OK ends the stream with io.EOF")
	_, err = st.Recv()
	assert.Equal(t, io.EOF, err, "and again")

	// An error status ends a stream with a StatusError.
	st, err = c.NewStream(ctx, "/test.Echo/Stream")
	require.NoError(t, err)
	require.NoError(t, st.Send(bytesMsg(t, "fail:go away")))
	_, err = st.Recv()
	assert.Equal(t, int(codes.PermissionDenied), grpcwire.Code(err), "%v", err)
	assert.ErrorContains(t, err, "go away")
	assert.Error(t, st.Send(bytesMsg(t, "x")), "send after the end fails, never blocks")

	// Cancelling the context ends a stream the server keeps open.
	sctx, scancel := context.WithCancel(ctx)
	st, err = c.NewStream(sctx, "/test.Echo/Stream")
	require.NoError(t, err)
	require.NoError(t, st.Send(bytesMsg(t, "one")))
	_, err = st.Recv()
	require.NoError(t, err)
	scancel()
	_, err = st.Recv()
	assert.Error(t, err)
}

func TestUnknownMethodIsUnimplemented(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer()
	go func() { _ = s.Serve(ln) }()
	defer s.Stop()
	c, err := grpcwire.New(grpcwire.Options{Addr: ln.Addr().String()})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.Invoke(ctx, "/no.Such/Method", "", nil)
	assert.Equal(t, int(codes.Unimplemented), grpcwire.Code(err), "%v", err)
}

func TestOptionsAreChecked(t *testing.T) {
	for name, o := range map[string]grpcwire.Options{
		"no address":               {},
		"no port":                  {Addr: "127.0.0.1"},
		"credentials in the clear": {Addr: "127.0.0.1:1", Header: func() (map[string]string, error) { return nil, nil }},
	} {
		_, err := grpcwire.New(o)
		assert.Error(t, err, name)
	}
}
