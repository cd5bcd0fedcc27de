package export

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshbench/meshbench/harness/results"
)

// ReadAll loads every meshbench result and every fortio JSON run result
// under the given files or directories (recursively), sorted by start time
// within each kind (meshbench results first, by their plan order). Other
// JSON files are skipped; a file that looks like fortio's but does not
// decode is an error naming it.
func ReadAll(paths ...string) ([]*results.Result, error) {
	var own, foreign []*results.Result
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".json") || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			// Probe the schema first: decoding fortio's JSON into a Result
			// fails on its "Labels" string before the schema check could
			// say "not a result".
			var probe struct {
				Schema string `json:"schema"`
			}
			if json.Unmarshal(data, &probe) == nil && strings.HasPrefix(probe.Schema, results.SchemaPrefix) {
				r, err := results.Read(path)
				if err != nil {
					return err
				}
				own = append(own, r)
				return nil
			}
			fr, ok, err := FromFortio(data, path)
			if err != nil || !ok {
				return err
			}
			foreign = append(foreign, fr)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read results: %w", err)
		}
	}
	sort.SliceStable(own, func(i, j int) bool { return own[i].Order < own[j].Order })
	sort.SliceStable(foreign, func(i, j int) bool { return foreign[i].Started.Before(foreign[j].Started) })
	for i, r := range foreign {
		r.Order, r.Repetition = i, i+1
	}
	return append(own, foreign...), nil
}
