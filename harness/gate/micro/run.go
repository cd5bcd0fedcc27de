package micro

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/meshbench/meshbench/harness/gate/callgrind"
)

// Side is one source tree: a module root (a git worktree of a revision).
type Side struct {
	Label string // base | candidate
	Root  string
}

// Options of one micro comparison.
type Options struct {
	Spec            Spec
	Base, Candidate Side
	WorkDir         string // test binaries and raw outputs go here
	Seed            int64
	Nice            int
	Log             *slog.Logger
	Progress        io.Writer
}

// Key names one measured quantity: a benchmark in a package, in a unit.
type Key struct {
	Package, Benchmark, Unit string
}

// Samples are the per-round values of every key, per side.
type Samples struct {
	Base, Candidate map[Key][]float64
	Notes           []string
	// RawBase and RawCandidate are the benchmark outputs, kept so the
	// numbers can be re-read with benchstat.
	RawBase, RawCandidate []byte
}

// Run builds both sides and runs Spec.Count interleaved rounds.
func Run(ctx context.Context, o Options) (*Samples, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	baseBins, err := buildSide(ctx, o.Base.Root, filepath.Join(o.WorkDir, "bin-base"), o.Spec.Packages, o.Nice)
	if err != nil {
		return nil, fmt.Errorf("build base: %w", err)
	}
	candBins, err := buildSide(ctx, o.Candidate.Root, filepath.Join(o.WorkDir, "bin-candidate"), o.Spec.Packages, o.Nice)
	if err != nil {
		return nil, fmt.Errorf("build candidate: %w", err)
	}
	s := &Samples{Base: map[Key][]float64{}, Candidate: map[Key][]float64{}}
	cand := map[string]testBinary{}
	for _, b := range candBins {
		cand[b.ImportPath] = b
	}
	type pair struct{ base, cand testBinary }
	var pairs []pair
	for _, b := range baseBins {
		c, ok := cand[b.ImportPath]
		if !ok {
			s.Notes = append(s.Notes, "package "+b.ImportPath+" has no tests on the candidate side")
			continue
		}
		pairs = append(pairs, pair{b, c})
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6d6963726f))
	for round := 1; round <= o.Spec.Count; round++ {
		for _, p := range pairs {
			sides := []struct {
				bin testBinary
				out map[Key][]float64
				raw *[]byte
			}{{p.base, s.Base, &s.RawBase}, {p.cand, s.Candidate, &s.RawCandidate}}
			rng.Shuffle(2, func(i, j int) { sides[i], sides[j] = sides[j], sides[i] })
			for _, sd := range sides {
				if err := ctx.Err(); err != nil {
					return s, err
				}
				out, err := runBench(ctx, sd.bin, o.Spec, o.Nice)
				if err != nil {
					return s, err
				}
				*sd.raw = append(*sd.raw, out...)
				if err := parseInto(out, sd.bin.ImportPath, sd.out); err != nil {
					return s, err
				}
			}
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "micro: round %d/%d done\n", round, o.Spec.Count)
		}
	}
	if o.Spec.Callgrind {
		if err := addInstructions(ctx, o, s, pairs2(pairs, func(p pair) (testBinary, testBinary) { return p.base, p.cand })); err != nil {
			return s, err
		}
	}
	log.Info("micro benchmarks done", "packages", len(pairs), "rounds", o.Spec.Count)
	return s, nil
}

func pairs2[P any](ps []P, f func(P) (testBinary, testBinary)) [][2]testBinary {
	out := make([][2]testBinary, len(ps))
	for i, p := range ps {
		out[i][0], out[i][1] = f(p)
	}
	return out
}

func runBench(ctx context.Context, b testBinary, s Spec, nice int) ([]byte, error) {
	cmd := niceCmd(ctx, b.Dir, nice, b.Path, "-test.run=^$", "-test.bench="+s.Bench,
		"-test.benchtime="+s.Benchtime, "-test.count=1", "-test.benchmem")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("benchmarks of %s: %w\n%s%s", b.ImportPath, err, out, stderr.Bytes())
	}
	return out, nil
}

// parseInto reads go test -bench output with benchfmt and appends each
// value to its key.
func parseInto(out []byte, pkg string, into map[Key][]float64) error {
	r := benchfmt.NewReader(bytes.NewReader(out), pkg)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			for _, v := range rec.Values {
				// benchfmt drops the "Benchmark" prefix; keep the Go name.
				k := Key{Package: pkg, Benchmark: "Benchmark" + rec.Name.String(), Unit: v.Unit}
				into[k] = append(into[k], v.Value)
			}
		case *benchfmt.SyntaxError:
			return fmt.Errorf("parse benchmarks of %s: %w", pkg, rec)
		}
	}
	return r.Err()
}

// UnitInstructions is the unit of the callgrind metric.
const UnitInstructions = "instructions/op"

// addInstructions measures instructions per op under callgrind,
// CallgrindRuns times per benchmark and side, alternating sides.
func addInstructions(ctx context.Context, o Options, s *Samples, pairs [][2]testBinary) error {
	if _, err := callgrind.Available(); err != nil {
		s.Notes = append(s.Notes, "instructions per op skipped: "+err.Error())
		return nil
	}
	names := map[string][]string{}
	for k := range s.Base {
		if !contains(names[k.Package], k.Benchmark) {
			names[k.Package] = append(names[k.Package], k.Benchmark)
		}
	}
	for run := 0; run < o.Spec.CallgrindRuns; run++ {
		for _, p := range pairs {
			for _, name := range names[p[0].ImportPath] {
				for i, side := range []map[Key][]float64{s.Base, s.Candidate} {
					ipo, err := callgrind.PerOp(ctx, p[i].Dir, o.Nice, p[i].Path, benchRegexp(name), benchFunc(name), o.Spec.CallgrindIters)
					if err != nil {
						s.Notes = append(s.Notes, fmt.Sprintf("instructions per op of %s: %v", name, err))
						continue
					}
					k := Key{Package: p[i].ImportPath, Benchmark: name, Unit: UnitInstructions}
					side[k] = append(side[k], ipo)
				}
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// benchFunc is the top-level Go function of a benchmark's full name:
// "BenchmarkPick/p2c-2" -> "BenchmarkPick".
func benchFunc(full string) string {
	name, _, _ := strings.Cut(procSuffix.ReplaceAllString(full, ""), "/")
	return name
}

// benchRegexp selects exactly one (sub-)benchmark by its full name, e.g.
// "BenchmarkPick/p2c-2" -> "^BenchmarkPick$/^p2c$".
func benchRegexp(full string) string {
	parts := strings.Split(procSuffix.ReplaceAllString(full, ""), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
