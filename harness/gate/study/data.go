package study

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/results"
)

// Data is a recording indexed by variant and round.
type Data struct {
	runs   map[string]map[int]*results.Result
	rounds []int // every round number seen, ascending
	// IncludeInvalid treats runs marked invalid as evidence: a sensitivity
	// analysis (the gate itself voids them).
	IncludeInvalid bool
	// BehindTolerance is the gate's rule for runs whose load generator fell
	// behind (verdict.Thresholds.BehindTolerance).
	BehindTolerance float64
}

// NewData indexes results by their build (variant) and round labels.
func NewData(rs []*results.Result) (*Data, error) {
	d := &Data{runs: map[string]map[int]*results.Result{}}
	seen := map[int]bool{}
	for _, r := range rs {
		v := r.Labels["build"]
		round, err := strconv.Atoi(r.Labels["round"])
		if v == "" || err != nil {
			return nil, fmt.Errorf("study: result %s lacks build/round labels", r.FileName())
		}
		if d.runs[v] == nil {
			d.runs[v] = map[int]*results.Result{}
		}
		d.runs[v][round] = r
		if !seen[round] {
			seen[round] = true
			d.rounds = append(d.rounds, round)
		}
	}
	sort.Ints(d.rounds)
	return d, nil
}

// Window keeps only rounds first..last (inclusive; 0 means open), for
// analyzing a stretch of a recording made under one machine condition.
func (d *Data) Window(first, last int) *Data {
	w := &Data{runs: map[string]map[int]*results.Result{}, IncludeInvalid: d.IncludeInvalid, BehindTolerance: d.BehindTolerance}
	for _, round := range d.rounds {
		if round < first || last > 0 && round > last {
			continue
		}
		w.rounds = append(w.rounds, round)
		for v, byRound := range d.runs {
			if r, ok := byRound[round]; ok {
				if w.runs[v] == nil {
					w.runs[v] = map[int]*results.Result{}
				}
				w.runs[v][round] = r
			}
		}
	}
	return w
}

// Variants lists the recorded variants.
func (d *Data) Variants() []string {
	var out []string
	for v := range d.runs {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Eligible returns the rounds in which both variants have a valid run: the
// rounds a gate of base against cand could use (the gate voids a round
// with an invalid run).
func (d *Data) Eligible(base, cand string) []int {
	var out []int
	for _, round := range d.rounds {
		b, c := d.runs[base][round], d.runs[cand][round]
		if b != nil && c != nil && (d.IncludeInvalid || compare.Usable(b, d.BehindTolerance) && compare.Usable(c, d.BehindTolerance)) {
			out = append(out, round)
		}
	}
	return out
}

// Complete counts the rounds in which a variant has a run at all.
func (d *Data) Complete(v string) int { return len(d.runs[v]) }

// Sides returns the base and candidate runs of the given rounds.
func (d *Data) Sides(base, cand string, rounds []int) (b, c []*results.Result) {
	for _, round := range rounds {
		b = append(b, d.evidence(d.runs[base][round]))
		c = append(c, d.evidence(d.runs[cand][round]))
	}
	return b, c
}

func (d *Data) evidence(r *results.Result) *results.Result {
	if !d.IncludeInvalid || r.Valid {
		return r
	}
	cp := *r
	cp.Valid = true
	return &cp
}
