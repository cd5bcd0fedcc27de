package graph

import (
	"fmt"
	"time"
)

// Step is one step of a service's script: exactly one of Sleep, Burn, Call
// or Concurrent is set.
type Step struct {
	// Sleep waits without using CPU (isotope's `sleep`).
	Sleep time.Duration `json:"sleep,omitempty"`
	// Burn spins the CPU (an extension of isotope: a service's own work).
	Burn time.Duration `json:"burn,omitempty"`
	// Call requests a downstream service.
	Call *Call `json:"call,omitempty"`
	// Concurrent runs its steps at the same time and waits for all of them
	// (an isotope nested list). Concurrent steps do not nest.
	Concurrent []Step `json:"concurrent,omitempty"`
}

// Call is a request to a downstream service.
type Call struct {
	Service string `json:"service"`
	// RequestBytes is the size of the request body.
	RequestBytes int `json:"request_bytes,omitempty"`
	// Probability is the percent chance (1..100) that the call is made;
	// 0 means always, as in isotope.
	Probability int `json:"probability,omitempty"`
	// Headers are extra request headers (isotope's `extra-header`).
	Headers map[string]string `json:"headers,omitempty"`
}

// chance is the fraction of script runs in which the call is made.
func (c *Call) chance() float64 {
	if c.Probability == 0 {
		return 1
	}
	return float64(c.Probability) / 100
}

// Steps is the service's script: Script when set (isotope), else the inline
// form's work followed by its calls in order.
func (s *Service) Steps() []Step {
	if s.Script != nil {
		return s.Script
	}
	var out []Step
	if s.Work.Duration > 0 {
		out = append(out, Step{Burn: s.Work.Duration})
	}
	for _, c := range s.Calls {
		out = append(out, Step{Call: &Call{Service: c}})
	}
	return out
}

// Callees are the distinct services the script calls, in order of first
// appearance: one outbound route (and listener, in the mesh lane) each.
func (s *Service) Callees() []string {
	var out []string
	seen := map[string]bool{}
	eachCall(s.Steps(), func(c *Call) {
		if !seen[c.Service] {
			seen[c.Service] = true
			out = append(out, c.Service)
		}
	})
	return out
}

func eachCall(steps []Step, f func(*Call)) {
	for i := range steps {
		if steps[i].Call != nil {
			f(steps[i].Call)
		}
		eachCall(steps[i].Concurrent, f)
	}
}

// ErrorEvery is N when the service fails every N-th request, 0 when never.
// It is isotope's arithmetic: N = 10000 / uint64(rate*10000), integer
// division, so a rate of 0.3 fails every 3rd request.
func ErrorEvery(rate float64) uint64 {
	if rate <= 0 {
		return 0
	}
	d := uint64(rate * 10000)
	if d == 0 {
		return 0
	}
	return 10000 / d
}

func validateSteps(field string, steps []Step, known map[string]bool, nested bool) error {
	for j, st := range steps {
		f := fmt.Sprintf("%s[%d]", field, j)
		n := 0
		for _, set := range []bool{st.Sleep != 0, st.Burn != 0, st.Call != nil, st.Concurrent != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return fmt.Errorf("%s: a step has exactly one of sleep, burn, call or a concurrent list", f)
		}
		switch {
		case st.Sleep < 0 || st.Burn < 0:
			return fmt.Errorf("%s: negative duration", f)
		case st.Call != nil:
			if !known[st.Call.Service] {
				return fmt.Errorf("%s.call: unknown service %q", f, st.Call.Service)
			}
			if p := st.Call.Probability; p < 0 || p > 100 {
				return fmt.Errorf("%s.call.probability: %d outside 0..100", f, p)
			}
			if b := st.Call.RequestBytes; b < 0 || b > 16<<20 {
				return fmt.Errorf("%s.call.size: %d outside 0..16MiB", f, b)
			}
		case st.Concurrent != nil:
			if nested {
				return fmt.Errorf("%s: concurrent commands may not be nested", f)
			}
			if err := validateSteps(f, st.Concurrent, known, true); err != nil {
				return err
			}
		}
	}
	return nil
}
