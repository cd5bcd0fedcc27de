package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpecFiles(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"create with --bundle", []string{"--root", "/r", "create", "--bundle", "/b", "id"}, []string{"/b/config.json"}},
		{"create with -b=", []string{"create", "-b=/b", "id"}, []string{"/b/config.json"}},
		{"exec with --process", []string{"exec", "--process", "/tmp/p.json", "id"}, []string{"/tmp/p.json"}},
		{"exec with --process=", []string{"exec", "--process=/tmp/p.json", "id"}, []string{"/tmp/p.json"}},
		{"flag without value", []string{"create", "--bundle"}, nil},
		{"nothing to patch", []string{"state", "id"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, specFiles(tt.args))
		})
	}
}

func TestPatch(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantChanged bool
		wantCaps    []any
		wantOOM     any
	}{
		{
			name:        "spec: cap dropped from every set, negative oomScoreAdj removed",
			in:          `{"ociVersion":"1.0.2","process":{"oomScoreAdj":-998,"capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE"],"effective":["CAP_SYS_RESOURCE"]}},"root":{"path":"rootfs"}}`,
			wantChanged: true,
			wantCaps:    []any{"CAP_CHOWN"},
		},
		{
			name:        "process JSON of runc exec",
			in:          `{"args":["sh"],"capabilities":{"bounding":["CAP_SYS_RESOURCE","CAP_KILL"]}}`,
			wantChanged: true,
			wantCaps:    []any{"CAP_KILL"},
		},
		{
			name:     "positive oomScoreAdj and other caps untouched",
			in:       `{"process":{"oomScoreAdj":1000,"capabilities":{"bounding":["CAP_KILL"]}}}`,
			wantCaps: []any{"CAP_KILL"},
			wantOOM:  float64(1000),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := patch([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.wantChanged, changed)
			var doc map[string]any
			require.NoError(t, json.Unmarshal(out, &doc))
			proc := doc
			if p, ok := doc["process"].(map[string]any); ok {
				proc = p
			}
			caps := proc["capabilities"].(map[string]any)
			assert.Equal(t, tt.wantCaps, caps["bounding"])
			assert.Equal(t, tt.wantOOM, proc["oomScoreAdj"])
			if root, ok := doc["root"]; ok {
				assert.Equal(t, map[string]any{"path": "rootfs"}, root, "unknown fields are kept")
			}
		})
	}
}

func TestPatchFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"process":{"capabilities":{"ambient":["CAP_SYS_RESOURCE"]}}}`), 0o600))
	require.NoError(t, patchFile(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, `{"process":{"capabilities":{"ambient":[]}}}`, string(b))
	assert.NoError(t, patchFile(filepath.Join(dir, "missing.json")), "runc reports a missing bundle itself")
	require.NoError(t, os.WriteFile(path, []byte(`not json`), 0o600))
	assert.Error(t, patchFile(path))
}
