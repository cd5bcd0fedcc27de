package local

import (
	"os"
	"strconv"

	"github.com/meshbench/meshbench/harness/results"
)

// withBinarySize records the size of the proxy binary at path in f.Extra
// (results.ExtraProxyBinaryBytes); an unreadable path records nothing,
// since starting the proxy reports that error.
func withBinarySize(f *results.MeshFeatures, path string) *results.MeshFeatures {
	fi, err := os.Stat(path)
	if err != nil || path == "" {
		return f
	}
	if f.Extra == nil {
		f.Extra = map[string]string{}
	}
	f.Extra[results.ExtraProxyBinaryBytes] = strconv.FormatInt(fi.Size(), 10)
	return f
}
