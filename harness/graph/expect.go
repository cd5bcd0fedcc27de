package graph

import (
	"math"

	"github.com/meshbench/meshbench/harness/results"
)

// Edge is a caller -> callee pair.
type Edge struct{ From, To string }

// Expectation is what one request to the entry service costs the graph, on
// average: the requests each service receives and the calls on each edge.
type Expectation struct {
	Received map[string]float64
	Calls    map[Edge]float64
	// Exact is true when nothing in the graph is random or failing (no call
	// probability, no error rate): then every count is exact, not a mean.
	Exact bool
	// ExactEdges says, per edge, whether its count is exact: no call
	// probability, error rate or possible earlier failure on any path from
	// the entry to it.
	ExactEdges map[Edge]bool
}

// Expect computes the expectation of a valid (acyclic) graph. A failed
// call aborts the rest of a sequential script, as in isotope; a concurrent
// group runs all its calls and fails when any fails. Failures of different
// calls are treated as independent (isotope's every-N-th errors are not
// random, so counts with error rates match on average, not exactly).
func (g *Graph) Expect() Expectation {
	e := Expectation{Received: map[string]float64{}, Calls: map[Edge]float64{}, Exact: true, ExactEdges: map[Edge]bool{}}
	fail := map[string]float64{}             // probability a request to s fails
	local := map[string]map[string]float64{} // calls to callee per script run of s
	random := map[Edge]bool{}                // some call on the edge may or may not happen
	var visit func(name string)
	visit = func(name string) {
		if _, ok := fail[name]; ok {
			return
		}
		if sp := g.Split(name); sp != nil {
			// A split fails as its versions do, in their shares; which
			// version a call reaches is random.
			fr := sp.Fractions()
			e.Exact = false
			f := 0.0
			for v, p := range fr {
				visit(v)
				f += p * fail[v]
				random[Edge{name, v}] = true
			}
			fail[name] = f
			local[name] = fr
			return
		}
		s := g.Service(name)
		calls := map[string]float64{}
		alive := 1.0 // chance the script is still running
		injected := 0.0
		if n := ErrorEvery(s.ErrorRate); n > 0 {
			injected = 1 / float64(n)
			e.Exact = false
		}
		mark := func(c *Call) {
			if injected > 0 || alive < 1 || c.chance() < 1 {
				random[Edge{name, c.Service}] = true
			}
		}
		for _, st := range s.Steps() {
			switch {
			case st.Call != nil:
				visit(st.Call.Service)
				mark(st.Call)
				p := st.Call.chance()
				calls[st.Call.Service] += alive * p
				alive *= 1 - p*fail[st.Call.Service]
			case st.Concurrent != nil:
				ok := 1.0
				for _, c := range st.Concurrent {
					if c.Call == nil {
						continue
					}
					visit(c.Call.Service)
					mark(c.Call)
					p := c.Call.chance()
					calls[c.Call.Service] += alive * p
					ok *= 1 - p*fail[c.Call.Service]
				}
				alive *= ok
			}
		}
		eachCall(s.Steps(), func(c *Call) {
			if c.Probability != 0 && c.Probability != 100 {
				e.Exact = false
			}
		})
		fail[name] = injected + (1-injected)*(1-alive)
		for c := range calls {
			calls[c] *= 1 - injected
		}
		local[name] = calls
	}
	visit(g.Entry)
	// Propagate from the entry in topological order (callers first).
	var order []string
	seen := map[string]bool{}
	var post func(string)
	post = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, c := range g.callees(n) {
			post(c)
		}
		order = append(order, n)
	}
	post(g.Entry)
	e.Received[g.Entry] = 1
	inexact := map[string]bool{} // the service's received count is not exact
	for i := len(order) - 1; i >= 0; i-- {
		from := order[i]
		for to, n := range local[from] {
			edge := Edge{from, to}
			c := e.Received[from] * n
			e.Calls[edge] += c
			e.Received[to] += c
			e.ExactEdges[edge] = !inexact[from] && !random[edge]
			if !e.ExactEdges[edge] {
				inexact[to] = true
			}
		}
	}
	return e
}

// EdgeCount is one edge's observed calls beside the topology's expectation.
type EdgeCount = results.GraphEdge

// CheckEdges compares the calls each service made (calls[from][to]) with
// the expectation for entryRequests requests received by the entry
// service. Exact edges allow a difference of 2 plus 0.1% (requests in
// flight when counters are read); others allow 5 standard deviations of a
// binomial count plus 2% (the error-rate approximation above).
func (g *Graph) CheckEdges(entryRequests int64, calls map[string]map[string]int64) []EdgeCount {
	e := g.Expect()
	var out []EdgeCount
	check := func(from, to string) {
		want := e.Calls[Edge{from, to}] * float64(entryRequests)
		tol := 2 + 0.001*want
		if !e.ExactEdges[Edge{from, to}] {
			tol = 2 + 5*math.Sqrt(want) + 0.02*want
		}
		got := calls[from][to]
		out = append(out, EdgeCount{From: from, To: to, Calls: got, Expected: want, Tolerance: tol,
			OK: math.Abs(float64(got)-want) <= tol})
	}
	for _, s := range g.Services {
		for _, to := range s.Callees() {
			check(s.Name, to)
		}
	}
	for _, sp := range g.Splits {
		for _, to := range g.callees(sp.Name) {
			check(sp.Name, to)
		}
	}
	return out
}
