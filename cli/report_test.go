package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportCommand(t *testing.T) {
	fixtures := filepath.Join("..", "reports", "testdata")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
		wantPNGs int
	}{
		{name: "results, comparison and the gate's history", args: []string{filepath.Join(fixtures, "synthetic", "results"),
			"--comparison", filepath.Join(fixtures, "synthetic", "comparison.json"), "--history", filepath.Join(fixtures, "synthetic", "history.jsonl")},
			wantPNGs: 10},
		{name: "a real run directory", args: []string{filepath.Join(fixtures, "local")}, wantPNGs: 8},
		{name: "no results", args: nil, wantCode: 3, wantErr: "requires at least 1 arg"},
		{name: "missing comparison", args: []string{filepath.Join(fixtures, "local"), "--comparison", "nope.json"}, wantCode: 3, wantErr: "read comparison"},
		{name: "a directory without results", args: []string{t.TempDir()}, wantCode: 3, wantErr: "nothing to render"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errb bytes.Buffer
			code := Run(context.Background(), append([]string{"report", "-o", dir}, tc.args...), Streams{Out: &out, Err: &errb})
			require.Equal(t, tc.wantCode, code, errb.String())
			if tc.wantErr != "" {
				assert.Contains(t, errb.String(), tc.wantErr)
				return
			}
			assert.Equal(t, filepath.Join(dir, "report.html"), strings.TrimSpace(out.String()))
			pngs, err := filepath.Glob(filepath.Join(dir, "*.png"))
			require.NoError(t, err)
			assert.Len(t, pngs, tc.wantPNGs)
			_, err = os.Stat(filepath.Join(dir, "summary.md"))
			assert.NoError(t, err)
		})
	}
}
