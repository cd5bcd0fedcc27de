package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMedianCI(t *testing.T) {
	v := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	s := MedianCI(v, 0.95)
	assert.Equal(t, 5.5, s.Median)
	// n = 10 at 95%: order statistics 2 and 9, binomial coverage
	// 1 - 2*(1+10)/1024 = 0.9785.
	assert.Equal(t, 2.0, s.Lo)
	assert.Equal(t, 9.0, s.Hi)
	assert.InDelta(t, 1-2*11.0/1024, s.Confidence, 1e-9)

	small := MedianCI([]float64{1, 2, 3, 4, 5}, 0.95)
	assert.True(t, math.IsInf(small.Lo, -1), "five samples cannot bound a median at 95%%")
	assert.Equal(t, 3.0, small.Median)
}
