package server

import "time"

// newChange opens a change observed at at; it also expires old ones.
func (t *tracker) newChange(at time.Time) *change {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expire(time.Now())
	c := &change{at: at}
	t.open = append(t.open, c)
	return c
}

// expect registers that proxy id must ACK the given generations for c.
// Types the proxy has not subscribed to are not waited for.
func (t *tracker) expect(c *change, id string, gens map[string]uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[id]
	if n == nil || n.streams == 0 {
		return
	}
	want := map[string]uint64{}
	for typ, g := range gens {
		if n.types[typ] {
			want[typ] = g
		}
	}
	if len(want) == 0 {
		return
	}
	c.remaining++
	c.expected++
	n.waits = append(n.waits, &wait{c: c, want: want})
}

// seal marks c complete in its set of affected proxies; it resolves at
// once when none had to ACK.
func (t *tracker) seal(c *change) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.sealed = true
	if t.m != nil {
		t.m.Changes.Inc()
	}
	switch {
	case c.expected == 0:
		c.done = true // no connected proxy was affected: nothing to converge
	case c.remaining == 0:
		c.remaining = 1 // every proxy ACKed before the change was sealed
		t.resolve(c)
	}
}

func (t *tracker) resolve(c *change) {
	c.remaining--
	if c.remaining > 0 || !c.sealed || c.done {
		return
	}
	c.done = true
	if t.m != nil && !c.at.IsZero() {
		t.m.ObserveConvergence(time.Since(c.at))
	}
}

// expire drops changes older than the deadline.
func (t *tracker) expire(now time.Time) {
	kept := t.open[:0]
	for _, c := range t.open {
		switch {
		case c.done:
		case now.Sub(c.at) > t.deadline:
			c.done = true
			if t.m != nil {
				t.m.ConvergenceTimeout.Inc()
			}
		default:
			kept = append(kept, c)
		}
	}
	t.open = kept
	for _, n := range t.nodes {
		w := n.waits[:0]
		for _, x := range n.waits {
			if !x.c.done {
				w = append(w, x)
			}
		}
		n.waits = w
	}
}
