package dataplane

import (
	"bufio"
	"context"
	"io"
	"net"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// serveTCP relays a connection byte for byte to an endpoint of cluster
// (tcp_proxy), trying each endpoint at most once on connect failure.
func (p *Proxy) serveTCP(down net.Conn, br *bufio.Reader, cluster *upstream.Cluster) {
	var up net.Conn
	for range max(len(cluster.Endpoints), 1) {
		now := time.Now()
		ep := cluster.Pick(now)
		if ep == nil {
			return
		}
		if !cluster.Breakers.AcquireConn() {
			p.metrics.Overflows.WithLabelValues(cluster.Name, "max_connections").Inc()
			return
		}
		c, err := cluster.DialTCP(context.Background(), ep)
		if err != nil {
			cluster.Breakers.ReleaseConn()
			cluster.Outlier.Record(ep.Host, 0, now.UnixNano())
			p.log.Debug("tcp proxy connect failed", "cluster", cluster.Name, "err", err)
			continue
		}
		ep.Host.Begin()
		defer ep.Host.End()
		defer cluster.Breakers.ReleaseConn()
		up = c
		break
	}
	if up == nil {
		return
	}
	tunnel(down, br, up, bufio.NewReaderSize(up, 0))
}

// tunnel copies both directions until either side ends, then closes both.
// Bytes already buffered in the readers are relayed first.
func tunnel(a net.Conn, ar *bufio.Reader, b net.Conn, br *bufio.Reader) {
	done := make(chan struct{}, 2)
	cp := func(dst net.Conn, src io.Reader) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
		done <- struct{}{}
	}
	go cp(b, readerOrConn(ar, a))
	go cp(a, readerOrConn(br, b))
	<-done
	<-done
	_ = a.Close()
	_ = b.Close()
}

// readerOrConn reads the buffered bytes, then the connection directly so
// io.Copy can use splice(2) for plain TCP.
func readerOrConn(r *bufio.Reader, c net.Conn) io.Reader {
	if r == nil || r.Buffered() == 0 {
		return c
	}
	b, _ := r.Peek(r.Buffered())
	head := make([]byte, len(b))
	copy(head, b)
	_, _ = r.Discard(len(b))
	hr := bytesReader(head)
	return io.MultiReader(&hr, c)
}

type bytesReader []byte

func (b *bytesReader) Read(p []byte) (int, error) {
	if len(*b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, *b)
	*b = (*b)[n:]
	return n, nil
}
