package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHolmMatchesRPAdjust(t *testing.T) {
	tests := []struct {
		name   string
		p, adj []float64
	}{
		// p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm")
		{"ascending", []float64{0.01, 0.02, 0.03, 0.04, 0.05}, []float64{0.05, 0.08, 0.09, 0.09, 0.09}},
		// p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")
		{"unordered", []float64{0.01, 0.04, 0.03, 0.005}, []float64{0.03, 0.06, 0.06, 0.02}},
		{"capped at one", []float64{0.5, 0.6}, []float64{1, 1}},
		{"single", []float64{0.003}, []float64{0.003}},
		{"empty", nil, []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Holm(tt.p)
			assert.Len(t, got, len(tt.adj))
			for i := range tt.adj {
				assert.InDelta(t, tt.adj[i], got[i], 1e-12, "i=%d", i)
			}
		})
	}
}
