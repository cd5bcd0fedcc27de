package load

import (
	"net"
	"strconv"
	"time"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/wire"
)

// wireCapture is a running loopback capture, or nil.
type wireCapture struct{ c *wire.Capture }

// startWire starts the loopback capture for o's target when o.Wire asks
// for it; otherwise, or when it cannot run, it returns why not ("" when not
// asked).
func startWire(o Options) (*wireCapture, string) {
	if !o.Wire {
		return nil, ""
	}
	if o.Protocol != results.ProtocolHTTP1 && o.Protocol != results.ProtocolTCP {
		return nil, "wire latency pairs one request per connection: " + o.Protocol + " multiplexes"
	}
	host, port, err := net.SplitHostPort(hostPort(o.URL))
	if err != nil {
		return nil, "wire latency: target " + o.URL + ": " + err.Error()
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, "wire latency: target " + host + " is not on loopback"
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, "wire latency: target port " + port + ": " + err.Error()
	}
	c, err := wire.Start(n)
	if err != nil {
		return nil, err.Error()
	}
	return &wireCapture{c: c}, ""
}

// stop ends the capture and returns its latencies (ms); nil when none ran.
func (w *wireCapture) stop() []float64 {
	if w == nil {
		return nil
	}
	// The last responses' packets reach the capture's reader (it polls
	// every 100 ms) before it stops.
	time.Sleep(150 * time.Millisecond)
	return w.c.Stop()
}
