package upstream

import "sync"

// Registry keeps endpoints alive across configuration snapshots, keyed by
// cluster name and address. Safe for concurrent use.
type Registry struct {
	mu  sync.Mutex
	eps map[[2]string]*Endpoint
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{eps: map[[2]string]*Endpoint{}} }

// Endpoint returns the endpoint for cluster/addr, creating it if needed.
func (r *Registry) Endpoint(cluster, addr string) *Endpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := [2]string{cluster, addr}
	e := r.eps[k]
	if e == nil {
		e = newEndpoint(addr)
		r.eps[k] = e
	}
	return e
}

// Retain removes every endpoint not in keep (Endpoint.Remove: its
// connections closed, idle or in use) and sets each kept endpoint's
// draining state to its value in keep (Endpoint.SetDraining).
func (r *Registry) Retain(keep map[*Endpoint]bool) {
	r.mu.Lock()
	var gone []*Endpoint
	for k, e := range r.eps {
		if _, ok := keep[e]; !ok {
			gone = append(gone, e)
			delete(r.eps, k)
		}
	}
	r.mu.Unlock()
	for _, e := range gone {
		e.Remove()
	}
	for e, draining := range keep {
		if e.Draining() != draining {
			e.SetDraining(draining)
		}
	}
}
