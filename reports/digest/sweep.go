package digest

import (
	"fmt"
	"slices"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/results"
)

// Dimension is a matrix axis a sweep runs along.
type Dimension string

const (
	Connections Dimension = "connections"
	QPS         Dimension = "qps"
)

// Sweep is the longest run of cases that differ only along one dimension,
// with the groups of every lane at each point.
type Sweep struct {
	Dim    Dimension
	Fixed  string    // what was held constant, for captions
	X      []float64 // distinct values along Dim, ascending
	Series []SweepSeries
}

// SweepSeries is one lane's groups along a sweep, in X order (gaps allowed).
type SweepSeries struct {
	Lane   string
	Groups []*Group
}

func (dim Dimension) value(c results.Case) float64 {
	if dim == Connections {
		return float64(c.Connections)
	}
	return c.QPS
}

// rest is the key of everything in c except dim.
func (dim Dimension) rest(c results.Case) string {
	if dim == Connections {
		return fmt.Sprintf("%g|%d|%s|%t", c.QPS, c.PayloadBytes, c.Protocol, c.MTLS)
	}
	return fmt.Sprintf("%d|%d|%s|%t", c.Connections, c.PayloadBytes, c.Protocol, c.MTLS)
}

func (dim Dimension) fixed(c results.Case) string {
	tls := "mTLS off"
	if c.MTLS {
		tls = "mTLS on"
	}
	if dim == Connections {
		qps := "max qps"
		if c.QPS > 0 {
			qps = fmt.Sprintf("%g qps", c.QPS)
		}
		return fmt.Sprintf("%s · %d B payload · %s · %s", qps, c.PayloadBytes, c.Protocol, tls)
	}
	return fmt.Sprintf("%d connections · %d B payload · %s · %s", c.Connections, c.PayloadBytes, c.Protocol, tls)
}

// Sweep returns the sweep along dim with the most distinct points (ties: the
// most groups), or nil when no two cases differ only along dim. Max-QPS
// cases have no QPS coordinate and never join a QPS sweep.
func (d *Digest) Sweep(dim Dimension) *Sweep {
	type cand struct {
		xs     []float64
		groups int
		first  results.Case
	}
	cands := map[string]*cand{}
	var order []string
	for _, g := range d.Groups {
		if len(g.Runs) == 0 || (dim == QPS && g.Case.QPS <= 0) {
			continue
		}
		k := dim.rest(g.Case)
		c := cands[k]
		if c == nil {
			c = &cand{first: g.Case}
			cands[k] = c
			order = append(order, k)
		}
		if x := dim.value(g.Case); !slices.Contains(c.xs, x) {
			c.xs = append(c.xs, x)
		}
		c.groups++
	}
	var best *cand
	var bestKey string
	for _, k := range order {
		c := cands[k]
		if best == nil || len(c.xs) > len(best.xs) || len(c.xs) == len(best.xs) && c.groups > best.groups {
			best, bestKey = c, k
		}
	}
	if best == nil || len(best.xs) < 2 {
		return nil
	}
	slices.Sort(best.xs)
	s := &Sweep{Dim: dim, Fixed: dim.fixed(best.first), X: best.xs}
	for _, lane := range d.Lanes {
		ser := SweepSeries{Lane: lane, Groups: make([]*Group, len(best.xs))}
		any := false
		for _, g := range d.Groups {
			if g.Lane != lane || len(g.Runs) == 0 || dim.rest(g.Case) != bestKey {
				continue
			}
			if i := slices.Index(best.xs, dim.value(g.Case)); i >= 0 {
				ser.Groups[i], any = g, true
			}
		}
		if any {
			s.Series = append(s.Series, ser)
		}
	}
	return s
}

// ReferenceCase is the case a single-case view (CDF, memory, overhead) uses.
// It must have valid runs of `none` and of a mesh lane, or there is no
// overhead to show; among those, Istio's published conditions (1000 qps, 16
// connections, 1 KiB, HTTP/1.1) win, then the case with the most lanes.
func (d *Digest) ReferenceCase() (results.Case, bool) {
	lanes := func(c results.Case) int {
		n := 0
		for _, g := range d.Groups {
			if g.Case == c && len(g.Runs) > 0 {
				n++
			}
		}
		return n
	}
	var best results.Case
	bestScore := -1
	for _, c := range d.Cases {
		n := lanes(c)
		if n == 0 {
			continue
		}
		score := n * 10
		if c.QPS == 1000 && c.Connections == 16 && c.PayloadBytes == 1024 && c.Protocol == results.ProtocolHTTP1 {
			score += 1000
		}
		if len(d.Overheads(c)) > 0 {
			score += 2000
			for _, o := range d.Overheads(c) {
				if aggregate.IsMeshLane(o.Lane) {
					score += 10000
					break
				}
			}
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	return best, bestScore >= 0
}
