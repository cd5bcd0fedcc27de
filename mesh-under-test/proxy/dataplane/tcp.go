package dataplane

import (
	"bufio"
	"context"
	"net"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// serveTCP relays a connection byte for byte to an endpoint of the chain's
// cluster (tcp_proxy), trying each endpoint at most once on connect
// failure. down is tc itself or the TLS connection over it; the sweeper
// closes the relay once no byte moved either way for the chain's idle
// timeout (a client that connects and sends nothing is cut too).
func (p *Proxy) serveTCP(tc *trackedConn, down net.Conn, br *bufio.Reader, chain *config.Chain) {
	tc.setLimits(tcpLimits(chain))
	tc.setState(connIdle)
	cluster := chain.TCP
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
	tunnelIdle(down, br, up, nil, &tc.connTimers)
}
