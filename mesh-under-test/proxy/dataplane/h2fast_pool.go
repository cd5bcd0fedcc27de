package dataplane

import (
	"bufio"
	"context"
	"io"
	"sync"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// fpool holds a cluster's upstream HTTP/2 connections of the lean path,
// by endpoint address. Streams are multiplexed: a connection is reused
// while it has a free stream slot (the peer's MAX_CONCURRENT_STREAMS) and
// has not been told to go away; a new one is dialled only when none has.
type fpool struct {
	cl     *upstream.Cluster
	mu     sync.Mutex
	conns  map[string][]*fconn
	closed bool
}

// fastPool returns cl's pool, tied to the cluster's life.
func (p *Proxy) fastPool(cl *upstream.Cluster) *fpool {
	return cl.FastPool(func() io.Closer { return &fpool{cl: cl, conns: map[string][]*fconn{}} }).(*fpool)
}

// reserve takes a stream slot on an open connection to addr, if any.
func (p *fpool) reserve(addr string) *fconn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns[addr] {
		c.wmu.Lock()
		ok := !c.closed && !c.goaway && c.active < int(c.peerMaxStrm) && c.nextID < 1<<31-1
		if ok {
			c.active++
		}
		c.wmu.Unlock()
		if ok {
			return c
		}
	}
	return nil
}

// get returns a connection to addr with a stream slot reserved for the
// caller, dialling one (within the cluster's connect timeout) if needed.
func (p *fpool) get(addr string) (*fconn, error) {
	if c := p.reserve(addr); c != nil {
		return c, nil
	}
	nc, err := p.cl.DialH2(context.Background(), addr)
	if err != nil {
		return nil, err
	}
	c := newFconn(nc, bufio.NewReaderSize(nc, 16<<10), false)
	c.active = 1
	c.onClosed = func(c *fconn) { p.remove(addr, c) }
	if err := c.start(); err != nil {
		_ = nc.Close()
		return nil, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.goAway(0)
	} else {
		p.conns[addr] = append(p.conns[addr], c)
		p.mu.Unlock()
	}
	go c.serve()
	return c, nil
}

func (p *fpool) remove(addr string, c *fconn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := p.conns[addr]
	for i, x := range cs {
		if x == c {
			p.conns[addr] = append(cs[:i], cs[i+1:]...)
			break
		}
	}
}

// released is told a stream slot on c was freed: a connection told to go
// away closes when its last stream ends.
func (p *fpool) released(c *fconn) {
	c.wmu.Lock()
	if c.goaway && c.active <= 0 {
		c.closeLocked()
	}
	c.wmu.Unlock()
}

// Close stops new streams on every connection (GOAWAY); each closes when
// its last stream ends.
func (p *fpool) Close() error {
	p.mu.Lock()
	p.closed = true
	var all []*fconn
	for _, cs := range p.conns {
		all = append(all, cs...)
	}
	p.mu.Unlock()
	for _, c := range all {
		c.goAway(0)
		p.released(c)
	}
	return nil
}
