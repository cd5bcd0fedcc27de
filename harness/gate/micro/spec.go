package micro

import (
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Spec is the `micro:` section of a micro scenario.
type Spec struct {
	// Packages are go package patterns relative to the module root.
	Packages []string `yaml:"packages"`
	// Bench is the -bench regexp (default ".").
	Bench string `yaml:"bench"`
	// Benchtime per benchmark run (default 100ms).
	Benchtime string `yaml:"benchtime"`
	// Count is the number of interleaved rounds K (default 10); each round
	// runs every benchmark once per side.
	Count int `yaml:"count"`
	// Callgrind adds instructions per op measured under valgrind.
	Callgrind bool `yaml:"callgrind"`
	// CallgrindIters is N of the N/2N callgrind runs (default 2000).
	CallgrindIters int `yaml:"callgrind_iterations"`
	// CallgrindRuns is how many N/2N measurements each side gets (default 2).
	CallgrindRuns int `yaml:"callgrind_runs"`
}

// DecodeSpec decodes a scenario's free-form micro section strictly.
func DecodeSpec(m map[string]any) (Spec, error) {
	var s Spec
	data, err := yaml.Marshal(m)
	if err != nil {
		return s, fmt.Errorf("micro spec: %w", err)
	}
	if err := decodeStrict(data, &s); err != nil {
		return s, fmt.Errorf("micro spec: %w", err)
	}
	return s.Normalize()
}

// Normalize fills defaults and checks values; each error names its field
// as the scenario writes it ("micro.count: ...").
func (s Spec) Normalize() (Spec, error) {
	var errs []error
	if len(s.Packages) == 0 {
		errs = append(errs, errors.New("micro.packages: at least one package pattern is required"))
	}
	if s.Bench == "" {
		s.Bench = "."
	}
	if s.Benchtime == "" {
		s.Benchtime = "100ms"
	}
	if _, err := time.ParseDuration(s.Benchtime); err != nil {
		if _, err2 := fmt.Sscanf(s.Benchtime, "%dx", new(int)); err2 != nil {
			errs = append(errs, fmt.Errorf("micro.benchtime: %q: want a duration or Nx (e.g. 100ms, 1000x)", s.Benchtime))
		}
	}
	if s.Count == 0 {
		s.Count = 10
	}
	if s.Count < 3 {
		errs = append(errs, fmt.Errorf("micro.count: %d is below the minimum of 3 rounds", s.Count))
	}
	if s.CallgrindIters == 0 {
		s.CallgrindIters = 2000
	}
	if s.CallgrindRuns == 0 {
		s.CallgrindRuns = 2
	}
	if s.CallgrindIters < 0 {
		errs = append(errs, fmt.Errorf("micro.callgrind_iterations: %d must not be negative", s.CallgrindIters))
	}
	if s.CallgrindRuns < 0 {
		errs = append(errs, fmt.Errorf("micro.callgrind_runs: %d must not be negative", s.CallgrindRuns))
	}
	return s, errors.Join(errs...)
}
