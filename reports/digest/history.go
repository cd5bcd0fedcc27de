package digest

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// HistorySchema identifies the JSON layout of a History file.
const HistorySchema = "meshbench.history/v1"

// History is the trend of some metrics over main-branch results, with the
// change points a detector (E-Divisive, in harness/gate) found in each.
type History struct {
	Schema string  `json:"schema"`
	Trends []Trend `json:"trends"`
}

// Trend is one metric over time.
type Trend struct {
	Group  string       `json:"group"`  // lane/mode and case, as in a comparison row
	Metric string       `json:"metric"` // e.g. latency_p99_ms
	Unit   string       `json:"unit"`
	Points []TrendPoint `json:"points"` // in time order
	// ChangePoints are indices into Points: the first point of each new
	// regime.
	ChangePoints []int `json:"change_points,omitempty"`
}

// TrendPoint is one result's value of a metric.
type TrendPoint struct {
	Time     time.Time `json:"time"`
	Revision string    `json:"revision"`
	Value    float64   `json:"value"`
}

// ReadHistory loads a History JSON file.
func ReadHistory(path string) (*History, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var h History
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if h.Schema != HistorySchema {
		return nil, fmt.Errorf("%s: schema %q, want %q", path, h.Schema, HistorySchema)
	}
	for _, t := range h.Trends {
		for _, cp := range t.ChangePoints {
			if cp < 0 || cp >= len(t.Points) {
				return nil, fmt.Errorf("%s: %s %s: change point %d outside %d points", path, t.Group, t.Metric, cp, len(t.Points))
			}
		}
	}
	return &h, nil
}
