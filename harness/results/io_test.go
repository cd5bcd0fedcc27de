package results

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadSchemaVersions(t *testing.T) {
	tests := []struct {
		name, schema string
		wantErr      error
	}{
		{"current", Schema, nil},
		{"v1 still read", SchemaV1, nil},
		{"newer version", "meshbench.result/v3", ErrUnknownSchema},
		{"not a result", "something/else", ErrNotResult},
		{"no schema", "", ErrNotResult},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			require.NoError(t, os.WriteFile(path, []byte(`{"schema":"`+tc.schema+`","lane":"none"}`), 0o644))
			r, err := Read(path)
			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, "none", r.Lane)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			assert.ErrorContains(t, err, path, "the error names the file")
		})
	}
}

func TestReadAllRefusesUnknownVersion(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("a.json", `{"schema":"`+Schema+`","order":1}`)
	write("other.json", `{"kind":"not a result"}`)
	rs, err := ReadAll(dir)
	require.NoError(t, err, "JSON files that are not results are skipped")
	assert.Len(t, rs, 1)

	write("b.json", `{"schema":"meshbench.result/v9","order":2}`)
	_, err = ReadAll(dir)
	require.ErrorIs(t, err, ErrUnknownSchema)
	assert.ErrorContains(t, err, filepath.Join(dir, "b.json"))
}
