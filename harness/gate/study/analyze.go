package study

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// Pair is one kind of gate to evaluate: Base against Cand.
type Pair struct {
	Name       string `json:"name"`
	Base, Cand string
}

// Mode says how gates are formed from the recorded rounds.
type Mode string

// Modes.
const (
	// Disjoint gates use consecutive, non-overlapping blocks of rounds:
	// independent gates, but few of them.
	Disjoint Mode = "disjoint"
	// Resample gates draw their rounds at random without replacement
	// within a gate: as many gates as wanted, but gates share rounds, so
	// the rates are less certain than their count suggests.
	Resample Mode = "resample"
)

// Options of an analysis.
type Options struct {
	Thresholds verdict.Thresholds
	Mode       Mode
	Gates      int // resample mode: gates per pair
	Seed       uint64
	// Transform, if set, rewrites the candidate runs of every gate (the
	// synthetic-effect scan behind the minimum detectable effect).
	Transform func(*results.Result) *results.Result
}

// Rates are the outcomes of many gates of one pair.
type Rates struct {
	Pair           Pair           `json:"pair"`
	Mode           Mode           `json:"mode"`
	Gates          int            `json:"gates"`
	EligibleRounds int            `json:"eligible_rounds"`
	Fail           int            `json:"fail"`
	Pass           int            `json:"pass"`
	Inconclusive   int            `json:"inconclusive"`
	Extended       int            `json:"extended"`
	MetricFail     map[string]int `json:"metric_fail"` // gates in which that metric FAILed
	MetricPass     map[string]int `json:"metric_pass"`
	// Effect is the Hodges-Lehmann delta of each gated metric over every
	// eligible round: the size of what was injected, as measured.
	Effect map[string]float64 `json:"effect"`
}

// Rate returns n/Gates.
func (r *Rates) Rate(n int) float64 {
	if r.Gates == 0 {
		return 0
	}
	return float64(n) / float64(r.Gates)
}

// Analyze evaluates gates of one pair.
func Analyze(d *Data, p Pair, o Options) (*Rates, error) {
	th, err := o.Thresholds.Normalize()
	if err != nil {
		return nil, err
	}
	d.BehindTolerance = th.BehindTolerance
	eligible := d.Eligible(p.Base, p.Cand)
	r := &Rates{Pair: p, Mode: o.Mode, EligibleRounds: len(eligible), MetricFail: map[string]int{},
		MetricPass: map[string]int{}, Effect: map[string]float64{}}
	if len(eligible) < th.Rounds {
		return r, fmt.Errorf("study: %s has %d eligible rounds, a gate needs %d", p.Name, len(eligible), th.Rounds)
	}
	// The measured effect over everything recorded.
	all, err := gateOnce(d, p, eligible, nil, th, o.Transform, 1)
	if err != nil {
		return nil, err
	}
	for _, m := range all.Metrics {
		if m.Gated {
			r.Effect[canonical(m.Metric)] = m.Delta
		}
	}
	ext := max(th.Extension, 0)
	switch o.Mode {
	case Disjoint:
		for next := 0; next+th.Rounds <= len(eligible); {
			first := eligible[next : next+th.Rounds]
			next += th.Rounds
			var more []int
			if next+ext <= len(eligible) {
				more = eligible[next : next+ext]
			}
			c, used, err := decide(d, p, first, more, th, o.Transform)
			if err != nil {
				return nil, err
			}
			if used && more == nil {
				break // the last block would need an extension the recording cannot give
			}
			if used {
				next += ext
			}
			r.add(c)
		}
	case Resample:
		if len(eligible) < th.Rounds+ext {
			return r, fmt.Errorf("study: %s has %d eligible rounds, resampled gates need %d", p.Name, len(eligible), th.Rounds+ext)
		}
		rng := rand.New(rand.NewPCG(o.Seed, 0x7265736d))
		pool := append([]int(nil), eligible...)
		for range o.Gates {
			rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
			first := append([]int(nil), pool[:th.Rounds]...)
			more := append([]int(nil), pool[th.Rounds:th.Rounds+ext]...)
			c, _, err := decide(d, p, first, more, th, o.Transform)
			if err != nil {
				return nil, err
			}
			r.add(c)
		}
	default:
		return nil, fmt.Errorf("study: mode %q: want disjoint or resample", o.Mode)
	}
	return r, nil
}

func (r *Rates) add(c *results.Comparison) {
	r.Gates++
	switch c.Verdict {
	case results.Fail:
		r.Fail++
	case results.Pass:
		r.Pass++
	default:
		r.Inconclusive++
	}
	if c.Extended {
		r.Extended++
	}
	for _, m := range c.Metrics {
		if !m.Gated {
			continue
		}
		switch m.Verdict {
		case results.Fail:
			r.MetricFail[canonical(m.Metric)]++
		case results.Pass:
			r.MetricPass[canonical(m.Metric)]++
		}
	}
}

// decide is one gate: the first look on first, and, if INCONCLUSIVE and an
// extension is declared, the second look on first+more.
func decide(d *Data, p Pair, first, more []int, th verdict.Thresholds, tf func(*results.Result) *results.Result) (*results.Comparison, bool, error) {
	c, err := gateOnce(d, p, first, nil, th, tf, 1)
	if err != nil || c.Verdict != results.Inconclusive || th.Extension <= 0 {
		return c, false, err
	}
	if more == nil {
		return c, true, nil
	}
	c, err = gateOnce(d, p, first, more, th, tf, 2)
	return c, true, err
}

func gateOnce(d *Data, p Pair, first, more []int, th verdict.Thresholds, tf func(*results.Result) *results.Result, look int) (*results.Comparison, error) {
	rounds := append(append([]int(nil), first...), more...)
	sort.Ints(rounds)
	b, c := d.Sides(p.Base, p.Cand, rounds)
	if tf != nil {
		for i := range c {
			c[i] = tf(c[i])
		}
	}
	return compare.Compare(b, c, compare.Options{Thresholds: th, Look: look, BaseLabel: p.Base, CandidateLabel: p.Cand})
}

// canonical keys a gated metric by its raw name, adjusted for machine speed
// or not: only one of the two is gated in a comparison.
func canonical(metric string) string { return strings.TrimPrefix(metric, compare.AdjustedPrefix) }
