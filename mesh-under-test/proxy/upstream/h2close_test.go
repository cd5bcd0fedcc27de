package upstream

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// TestReplacedH2ClusterClosesItsBusyConnectionOnceIdle: a cluster replaced
// (Close) while a stream runs on its x/net HTTP/2 connection closes that
// connection when the stream ends, not when the upstream does.
func TestReplacedH2ClusterClosesItsBusyConnectionOnceIdle(t *testing.T) {
	release := make(chan struct{})
	closed := make(chan struct{}, 4)
	srv := httptest.NewUnstartedServer(h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}), &http2.Server{}))
	// h2c hijacks the connection (no ConnState after that): the server
	// closes it once the proxy has, which the listener's conns report.
	srv.Listener = &closeListener{Listener: srv.Listener, closed: closed}
	srv.Start()
	defer srv.Close()
	reg := NewRegistry()
	ep := reg.Endpoint("svc", srv.Listener.Addr().String())
	c := New(Config{Name: "svc", ConnectTimeout: time.Second, Thresholds: resilience.DefaultThresholds()}, []*Endpoint{ep})
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ep.Host.Addr+"/", nil)
		resp, err := c.RoundTripH2(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // the stream is open
	c.Close()                          // a new configuration replaced the cluster
	close(release)
	require.NoError(t, <-done)
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		assert.Fail(t, "the replaced cluster's connection stayed open after its last stream")
	}
}

type closeListener struct {
	net.Listener
	closed chan struct{}
}

func (l *closeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &closeConn{Conn: c, closed: l.closed}, nil
}

type closeConn struct {
	net.Conn
	closed chan struct{}
	once   sync.Once
}

func (c *closeConn) Close() error {
	c.once.Do(func() { c.closed <- struct{}{} })
	return c.Conn.Close()
}
