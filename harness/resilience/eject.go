package resilience

import (
	"fmt"
	"strconv"

	"github.com/meshbench/meshbench/harness/results"
)

// ejection measures a fail fault from the timeline: the failing replica's
// errors carry the fault's status, so the end of the last bucket within
// the fault holding one is when the mesh stopped sending to it (ejected
// it). The buckets after that, until the fault ends, are what callers saw
// with the replica ejected. A bucket is within the fault when it overlaps
// [began, ended).
func ejection(f *Fault, ev results.FaultEvent, buckets []results.TimeBucket, w float64) *results.Ejection {
	e := &results.Ejection{Target: f.Target, Status: f.Status}
	cause := strconv.Itoa(f.Status)
	var in []results.TimeBucket
	for _, b := range buckets {
		if b.StartS+w > ev.BeganS+1e-9 && b.StartS < ev.EndedS-1e-9 {
			in = append(in, b)
		}
	}
	last := -1
	for i, b := range in {
		if b.ErrorsByCause[cause] > 0 {
			last = i
		}
	}
	if last >= 0 {
		e.TimeToEjectS = in[last].StartS + w - ev.BeganS
	}
	// Errors still in the fault's last bucket: the replica was never
	// ejected (or only as the fault ended, which says nothing).
	e.Ejected = last < len(in)-1
	for i, b := range in {
		if i <= last {
			e.ErrorsToEject += b.ErrorsByCause[cause]
			continue
		}
		e.RequestsAfterEject += b.Requests
		e.ErrorsAfterEject += b.Errors
	}
	if e.RequestsAfterEject > 0 {
		e.ErrorRateAfterEject = float64(e.ErrorsAfterEject) / float64(e.RequestsAfterEject)
	}
	return e
}

// checkEjection adds the fail fault's criteria.
func checkEjection(c Criteria, e *results.Ejection, add func(name string, limit, measured float64, held bool, detail string)) {
	if e == nil {
		return
	}
	if c.MaxTimeToEject != nil {
		limit := c.MaxTimeToEject.Seconds()
		held := e.Ejected && e.TimeToEjectS <= limit
		detail := fmt.Sprintf("seconds from the fault's start to the last %d of %s (%d errors until then)", e.Status, e.Target, e.ErrorsToEject)
		if !e.Ejected {
			detail = fmt.Sprintf("%s answered %d until the fault ended: never ejected", e.Target, e.Status)
		}
		add("max_time_to_eject", limit, e.TimeToEjectS, held, detail)
	}
	if c.MaxErrorRateAfterEject != nil {
		add("max_error_rate_after_eject", *c.MaxErrorRateAfterEject, e.ErrorRateAfterEject,
			e.Ejected && e.ErrorRateAfterEject <= *c.MaxErrorRateAfterEject,
			fmt.Sprintf("%d of %d requests failed from the ejection until the fault ended", e.ErrorsAfterEject, e.RequestsAfterEject))
	}
}
