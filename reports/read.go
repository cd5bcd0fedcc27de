package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshbench/meshbench/harness/results"
)

// ReadResults loads every result under the given files or directories
// (recursively, skipping JSON that is not a result) like results.ReadAll,
// and also returns each result's path so the report can link it. A run
// found twice (same scenario, order, lane, case, repetition and start) is
// kept once, at its first path.
func ReadResults(paths ...string) ([]*results.Result, []string, error) {
	type item struct {
		r    *results.Result
		path string
	}
	var items []item
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".json") || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			r, err := results.Read(path)
			if errors.Is(err, results.ErrNotResult) {
				return nil
			}
			if err != nil {
				return err
			}
			items = append(items, item{r, path})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].r.Order < items[j].r.Order })
	// The same run reached twice (a results directory and a report's raw/
	// copy of it, say) must count once.
	seen := map[string]bool{}
	kept := items[:0]
	for _, it := range items {
		k := fmt.Sprintf("%s|%d|%s|%d|%d", it.r.Scenario, it.r.Order, it.r.Key(), it.r.Repetition, it.r.Started.UnixNano())
		if !seen[k] {
			seen[k] = true
			kept = append(kept, it)
		}
	}
	items = kept
	rs := make([]*results.Result, len(items))
	files := make([]string, len(items))
	for i, it := range items {
		rs[i], files[i] = it.r, it.path
	}
	return rs, files, nil
}
