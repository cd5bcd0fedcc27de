package results

import "fmt"

// GraphEdge is one caller -> callee edge of a service graph: the calls the
// caller made, and what the topology predicts for the requests the entry
// service received.
type GraphEdge struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	Calls    int64   `json:"calls"`
	Expected float64 `json:"expected"`
	// Tolerance is the largest |Calls-Expected| accepted.
	Tolerance float64 `json:"tolerance"`
	OK        bool    `json:"ok"`
}

// String is "from -> to: N calls (expected E ± T)".
func (e GraphEdge) String() string {
	return fmt.Sprintf("%s -> %s: %d calls (expected %.0f ± %.0f)", e.From, e.To, e.Calls, e.Expected, e.Tolerance)
}
