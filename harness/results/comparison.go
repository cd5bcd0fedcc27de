package results

import "time"

// ComparisonSchema identifies the version of the Comparison JSON layout.
const ComparisonSchema = "meshbench.comparison/v1"

// Verdicts.
const (
	Pass         = "PASS"
	Fail         = "FAIL"
	Inconclusive = "INCONCLUSIVE"
	ReportOnly   = "REPORT" // metric shown but not gated
)

// Comparison is the output of `meshbench compare` and `meshbench gate`
// (its JSON Schema: schemas/comparison.schema.json, kept equal by tests):
// candidate against base, per metric, with the statistics behind each verdict.
type Comparison struct {
	Schema      string             `json:"schema"`
	Created     time.Time          `json:"created"`
	Base        string             `json:"base"`      // label: git rev, baseline name or directory
	Candidate   string             `json:"candidate"` // label
	Scenario    string             `json:"scenario"`
	Alpha       float64            `json:"alpha"` // family-wise
	Rounds      int                `json:"rounds"`
	Extended    bool               `json:"extended"` // the one pre-declared extension was used
	Seed        int64              `json:"seed"`
	Verdict     string             `json:"verdict"` // overall
	Metrics     []MetricComparison `json:"metrics"`
	Environment Environment        `json:"environment"`
	Notes       []string           `json:"notes,omitempty"`
	// Reasons explain a verdict that no single row's statistics explain:
	// the machine-speed reference moved, runs the candidate failed.
	Reasons []string `json:"reasons,omitempty"`
}

// MetricComparison is one row of the benchstat-like table.
type MetricComparison struct {
	Group     string  `json:"group"`  // lane/mode case, or benchmark name
	Metric    string  `json:"metric"` // e.g. latency_p50_ms, cpu_us_per_request/client-proxy
	Unit      string  `json:"unit"`
	Gated     bool    `json:"gated"`
	Threshold float64 `json:"threshold"` // relative slowdown, e.g. 0.05
	NBase     int     `json:"n_base"`
	NCand     int     `json:"n_candidate"`

	BaseMedian float64 `json:"base_median"`
	BaseCILo   float64 `json:"base_ci_lo"`
	BaseCIHi   float64 `json:"base_ci_hi"`
	CandMedian float64 `json:"candidate_median"`
	CandCILo   float64 `json:"candidate_ci_lo"`
	CandCIHi   float64 `json:"candidate_ci_hi"`

	// Delta is the Hodges-Lehmann estimate of candidate/base - 1, with its
	// CI; with Absolute, of candidate - base in the metric's unit, and
	// Threshold is in that unit too.
	Absolute  bool    `json:"absolute,omitempty"`
	Delta     float64 `json:"delta"`
	DeltaCILo float64 `json:"delta_ci_lo"`
	DeltaCIHi float64 `json:"delta_ci_hi"`

	P         float64 `json:"p"`          // one-sided exact Mann-Whitney U
	PAdjusted float64 `json:"p_adjusted"` // Holm
	Verdict   string  `json:"verdict"`
	Note      string  `json:"note,omitempty"`
}
