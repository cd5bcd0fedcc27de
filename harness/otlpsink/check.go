package otlpsink

import "fmt"

// Report is what a run's spans say about its traces.
type Report struct {
	// Spans received; Overflow of them were not kept (MaxSpans).
	Spans, Overflow int
	Traces          int
	// Complete traces have exactly SpansPerTrace spans (when it is set),
	// one root, and every other span's parent among them.
	Complete int
	// BrokenLinks counts spans whose parent is not in their trace (the
	// trace's root, whose parent is the caller's, excepted); Roots counts
	// traces without exactly one root.
	BrokenLinks, BadRoots int
	// Duplicates counts span ids seen twice in a trace.
	Duplicates int
}

// String is the one-line summary a run prints.
func (r Report) String() string {
	return fmt.Sprintf("spans %d, traces %d, complete %d, broken links %d, bad roots %d, duplicate spans %d",
		r.Spans, r.Traces, r.Complete, r.BrokenLinks, r.BadRoots, r.Duplicates)
}

// Check groups spans by trace and checks each trace is one tree: one root
// (no parent, or a parent outside the trace when the caller's own span was
// not exported: externalRoots), every other span's parent a span of the
// same trace, and, when spansPerTrace > 0, that many spans.
func Check(spans []Span, spansPerTrace int, externalRoots bool) Report {
	type trace struct {
		ids   map[string]bool
		spans []Span
	}
	traces := map[string]*trace{}
	var r Report
	r.Spans = len(spans)
	for _, s := range spans {
		t := traces[s.TraceID]
		if t == nil {
			t = &trace{ids: map[string]bool{}}
			traces[s.TraceID] = t
		}
		if t.ids[s.SpanID] {
			r.Duplicates++
		}
		t.ids[s.SpanID] = true
		t.spans = append(t.spans, s)
	}
	r.Traces = len(traces)
	for _, t := range traces {
		roots, broken := 0, 0
		for _, s := range t.spans {
			switch {
			case s.ParentID == "":
				roots++
			case t.ids[s.ParentID]:
			case externalRoots:
				roots++
			default:
				broken++
			}
		}
		r.BrokenLinks += broken
		if roots != 1 {
			r.BadRoots++
		}
		if roots == 1 && broken == 0 && (spansPerTrace <= 0 || len(t.spans) == spansPerTrace) && len(t.ids) == len(t.spans) {
			r.Complete++
		}
	}
	return r
}
