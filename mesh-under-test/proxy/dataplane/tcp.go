package dataplane

import (
	"bufio"
	"context"
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
	tunnel(down, br, up, nil)
}
