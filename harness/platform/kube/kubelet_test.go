package kube

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const summaryJSON = `{"node":{"nodeName":"n"},"pods":[
 {"podRef":{"name":"app","namespace":"ns"},"containers":[
   {"name":"app","cpu":{"usageCoreNanoSeconds":1500000000},"memory":{"workingSetBytes":4096,"rssBytes":2048}},
   {"name":"meshproxy","cpu":{"usageCoreNanoSeconds":250000000},"memory":{"workingSetBytes":8192}}]},
 {"podRef":{"name":"app","namespace":"other"},"containers":[{"name":"app","cpu":{"usageCoreNanoSeconds":9}}]}]}`

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name, ns, pod, container string
		wantCPU                  float64
		wantMem                  int64
		wantErr                  bool
	}{
		{"app", "ns", "app", "app", 1.5, 4096, false},
		{"sidecar", "ns", "app", "meshproxy", 0.25, 8192, false},
		{"other namespace", "other", "app", "app", 9e-9, 0, false},
		{"missing container", "ns", "app", "nope", 0, 0, true},
		{"missing pod", "ns", "loadgen", "loadgen", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSummary([]byte(summaryJSON), tt.ns, tt.pod, tt.container)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tt.wantCPU, s.CPUSeconds, 1e-12)
			assert.Equal(t, tt.wantMem, s.RSSBytes)
			assert.Equal(t, "kubelet", s.Source)
		})
	}
}
