package study

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/meshbench/meshbench/harness/gate/runner"
	"github.com/meshbench/meshbench/harness/results"
)

// Variant is one configuration of the same build: extra proxy arguments
// (none for the A variants).
type Variant struct {
	Name      string   `json:"name"`
	ProxyArgs []string `json:"proxy_args,omitempty"`
}

// Manifest describes a recording; it is rewritten after every round so an
// interrupted recording still says what it holds.
type Manifest struct {
	Schema    string    `json:"schema"`
	Scenario  string    `json:"scenario"`
	BinDir    string    `json:"bin_dir"`
	Seed      int64     `json:"seed"`
	Variants  []Variant `json:"variants"`
	Started   time.Time `json:"started"`
	Updated   time.Time `json:"updated"`
	Rounds    int       `json:"rounds"` // rounds run through (see Failed)
	Runs      int       `json:"runs"`
	Command   string    `json:"command,omitempty"`
	Completed bool      `json:"completed"`
	// Failed lists the runs that could not run at all ("round 6, spin2:
	// ..."): the analysis finds those rounds incomplete for that variant.
	Failed []string `json:"failed,omitempty"`
}

// maxFailedInARow ends a recording: one failed run is the machine's
// accident, three in a row are a broken set-up.
const maxFailedInARow = 3

// ManifestSchema versions the manifest.
const ManifestSchema = "meshbench.gate-study/v1"

// RecordOptions configure a recording.
type RecordOptions struct {
	Exec      runner.Executor
	Variants  []Variant
	BinDir    string
	Scenario  string
	OutDir    string
	MaxRounds int
	// Deadline stops the recording before a round that would not finish
	// by then (estimated from the rounds so far).
	Deadline time.Time
	Seed     int64
	Command  string
	Progress io.Writer
	Now      func() time.Time
}

// Record runs rounds until MaxRounds or the deadline.
func Record(ctx context.Context, o RecordOptions) (*Manifest, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Variants) < 2 {
		return nil, fmt.Errorf("study: need at least two variants")
	}
	m := &Manifest{Schema: ManifestSchema, Scenario: o.Scenario, BinDir: o.BinDir, Seed: o.Seed,
		Variants: o.Variants, Started: o.Now().UTC(), Command: o.Command}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x7374756479))
	seq, inARow := 0, 0
	began := o.Now()
	for round := 1; round <= o.MaxRounds; round++ {
		if !o.Deadline.IsZero() && m.Rounds > 0 {
			perRound := o.Now().Sub(began) / time.Duration(m.Rounds)
			if o.Now().Add(perRound).After(o.Deadline) {
				break
			}
		}
		order := append([]Variant(nil), o.Variants...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, v := range order {
			rs, err := o.Exec.Run(ctx, runner.Side{Name: v.Name, Label: v.Name, BinDir: o.BinDir, ProxyArgs: v.ProxyArgs}, round, seq)
			if err != nil {
				err = fmt.Errorf("study round %d, %s: %w", round, v.Name, err)
				if inARow++; ctx.Err() != nil || inARow >= maxFailedInARow {
					return m, err
				}
				m.Failed = append(m.Failed, err.Error())
				if o.Progress != nil {
					fmt.Fprintf(o.Progress, "study: a run failed, its round stays incomplete for %s: %v\n", v.Name, err)
				}
				continue
			}
			inARow = 0
			seq += len(rs)
			m.Runs += len(rs)
		}
		m.Rounds = round
		m.Updated = o.Now().UTC()
		if err := results.WriteJSON(filepath.Join(o.OutDir, "study.json"), m); err != nil {
			return m, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "study: round %d done (%s elapsed)\n", round, o.Now().Sub(began).Round(time.Second))
		}
	}
	m.Completed = true
	return m, results.WriteJSON(filepath.Join(o.OutDir, "study.json"), m)
}
