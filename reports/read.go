package reports

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshbench/meshbench/harness/results"
)

// ReadResults loads every result under the given files or directories
// (recursively, skipping JSON that is not a result) like results.ReadAll,
// and also returns each result's path so the report can link it.
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
	rs := make([]*results.Result, len(items))
	files := make([]string, len(items))
	for i, it := range items {
		rs[i], files[i] = it.r, it.path
	}
	return rs, files, nil
}
