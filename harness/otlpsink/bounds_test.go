package otlpsink_test

import "math"

// binomial99_9 is the 99.9% normal-approximation interval of a binomial
// count: n p +- 3.29 sqrt(n p (1-p)).
func binomial99_9(n int, p float64) (lo, hi float64) {
	mean := float64(n) * p
	d := 3.29 * math.Sqrt(mean*(1-p))
	return mean - d, mean + d
}
