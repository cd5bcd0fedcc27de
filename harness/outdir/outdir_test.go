package outdir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClaimRefusesWhatARunCannotUse: every directory a run could not write
// its results into fails Claim, with an error naming it.
func TestClaimRefusesWhatARunCannotUse(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	readOnly := filepath.Join(tmp, "ro")
	require.NoError(t, os.Mkdir(readOnly, 0o555))
	tests := []struct {
		name    string
		dir     string
		opts    []Option
		want    string
		notRoot bool
	}{
		{"a file in the way", filepath.Join(file, "out"), nil, "cannot create it", false},
		{"read-only directory", readOnly, nil, "is not writable", true},
		// No test can fill a real file system; a need larger than any disk
		// makes this one full for the check.
		{"full file system", filepath.Join(tmp, "full"), []Option{WithMinFree(1 << 62)}, "is full", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.notRoot && os.Geteuid() == 0 {
				t.Skip("root writes into read-only directories")
			}
			l, err := Claim(tc.dir, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, l)
			assert.Contains(t, err.Error(), "output directory "+tc.dir)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestClaimIsExclusive: a second claim of a held directory fails naming
// the holder; after Release it succeeds, and the lock file is gone.
func TestClaimIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	first, err := Claim(dir)
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(dir, LockName))

	second, err := Claim(dir)
	require.ErrorIs(t, err, ErrInUse)
	assert.Nil(t, second)
	assert.Contains(t, err.Error(), "output directory "+dir)
	assert.Contains(t, err.Error(), "pid ", "the error names who holds it")

	first.Release()
	first.Release() // twice is harmless
	assert.NoFileExists(t, filepath.Join(dir, LockName))
	third, err := Claim(dir)
	require.NoError(t, err, "released: claimable again")
	third.Release()
}
