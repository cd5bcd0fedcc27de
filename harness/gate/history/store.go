package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/results"
)

// Point is one metric of one result set on the main branch.
type Point struct {
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

// Append adds points to the history file, creating it if needed. Lines are
// written with one write call per batch and O_APPEND, so concurrent CI jobs
// appending to one file do not interleave within a line.
func Append(path string, pts []Point) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	var buf []byte
	for _, p := range pts {
		line, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("history: encode point: %w", err)
		}
		buf = append(append(buf, line...), '\n')
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("history: append to %s: %w", path, err)
	}
	return f.Close()
}

// Load reads every point, grouped by series and ordered by time.
func Load(path string) (map[string][]Point, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	out := map[string][]Point{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var p Point
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("history: %s line %d: %w", path, line, err)
		}
		out[p.SeriesKey()] = append(out[p.SeriesKey()], p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: read %s: %w", path, err)
	}
	for _, s := range out {
		sort.SliceStable(s, func(i, j int) bool { return s[i].Time.Before(s[j].Time) })
	}
	return out, nil
}
