package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/results"
)

// Schema versions every line of a history file (the JSON document of a
// history report is digest.HistorySchema, another thing). Lines written before
// lines carried it have none and read as this version (same layout).
const Schema = "meshbench.history-point/v1"

// Point is one metric of one result set on the main branch: one line.
type Point struct {
	Schema   string    `json:"schema"`
	Time     time.Time `json:"time"`
	Revision string    `json:"revision"`
	Scenario string    `json:"scenario"`
	Group    string    `json:"group"`
	Metric   string    `json:"metric"`
	Value    float64   `json:"value"` // median over the set's valid runs
	N        int       `json:"n"`
}

// SeriesKey names one time series.
func (p Point) SeriesKey() string { return p.Scenario + " | " + p.Group + " | " + p.Metric }

// PointsFrom summarizes a result set: one point per group and metric. The
// time and revision come from the runs (their latest start and their git
// revision) unless rev is given.
func PointsFrom(rs []*results.Result, rev string) ([]Point, error) {
	var valid []*results.Result
	var latest time.Time
	for _, r := range rs {
		if !r.Valid {
			continue
		}
		valid = append(valid, r)
		if r.Started.After(latest) {
			latest = r.Started
		}
		if rev == "" {
			rev = r.Environment.GitRevision
		}
	}
	if len(valid) == 0 {
		return nil, errors.New("history: no valid runs to add")
	}
	var pts []Point
	for group, metrics := range compare.Series(valid, "") {
		for metric, v := range metrics {
			pts = append(pts, Point{Time: latest.UTC(), Revision: rev, Scenario: valid[0].Scenario,
				Group: group, Metric: metric, Value: stats.Median(v), N: len(v)})
		}
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].SeriesKey() < pts[j].SeriesKey() })
	return pts, nil
}

// Append adds points to the history file, creating it if needed, and
// returns once they are on disk (fsync). It holds an exclusive flock while
// it writes, so concurrent CI jobs appending to one file never interleave,
// and a last line torn by a crash during an earlier append is cut off
// before the new lines go in (it would otherwise become a broken line in
// the middle); warn, if not nil, is told.
func Append(path string, pts []Point, warn func(string)) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	var buf []byte
	for _, p := range pts {
		p.Schema = Schema
		line, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("history: encode point: %w", err)
		}
		buf = append(append(buf, line...), '\n')
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("history: lock %s: %w", path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing unlocks anyway
	end, err := cutTornTail(f)
	if err != nil {
		return fmt.Errorf("history: %s: %w", path, err)
	}
	if end.torn > 0 && warn != nil {
		warn(fmt.Sprintf("history: %s: cut a torn last line (%d bytes, no newline) before appending", path, end.torn))
	}
	if _, err := f.WriteAt(buf, end.size); err != nil {
		return fmt.Errorf("history: append to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("history: sync %s: %w", path, err)
	}
	return nil
}

type tail struct{ size, torn int64 }

// cutTornTail truncates f after its last newline and returns the new size
// and how many bytes it cut.
func cutTornTail(f *os.File) (tail, error) {
	st, err := f.Stat()
	if err != nil {
		return tail{}, err
	}
	size := st.Size()
	if size == 0 {
		return tail{}, nil
	}
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for end := size; end > 0; {
		start := max(end-chunk, 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && n < int(end-start) {
			return tail{}, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep := start + int64(i) + 1
			if keep == size {
				return tail{size: size}, nil
			}
			return tail{size: keep, torn: size - keep}, f.Truncate(keep)
		}
		end = start
	}
	return tail{torn: size}, f.Truncate(0)
}

// Load reads every point, grouped by series and ordered by time. A last
// line without its newline was torn by a crash during an append: it is
// skipped, and warn (if not nil) is told. Any other line that does not
// parse, or that carries a schema version this build does not know, is an
// error naming the file and the line.
func Load(path string, warn func(string)) (map[string][]Point, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	out := map[string][]Point{}
	lines := bytes.Split(data, []byte("\n"))
	for i, raw := range lines {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		line := i + 1
		var p Point
		if err := json.Unmarshal(raw, &p); err != nil {
			if i == len(lines)-1 { // no newline after it: torn
				if warn != nil {
					warn(fmt.Sprintf("history: %s line %d: skipped a torn last line (%d bytes, no newline)", path, line, len(raw)))
				}
				continue
			}
			return nil, fmt.Errorf("history: %s line %d: %w", path, line, err)
		}
		switch p.Schema {
		case Schema:
		case "":
			p.Schema = Schema // written before lines were versioned
		default:
			return nil, fmt.Errorf("history: %s line %d: schema %q, this meshbench reads %q", path, line, p.Schema, Schema)
		}
		out[p.SeriesKey()] = append(out[p.SeriesKey()], p)
	}
	for _, s := range out {
		sort.SliceStable(s, func(i, j int) bool { return s[i].Time.Before(s[j].Time) })
	}
	return out, nil
}
