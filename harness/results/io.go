package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so a reader never sees a half-written file and an
// interrupted writer leaves the previous content in place.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	return nil
}

// WriteJSON marshals v with indentation and writes it atomically to path.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

// FileName is the canonical file name of a result inside a run directory.
func (r *Result) FileName() string {
	lane := r.Lane
	if r.Mode != "" {
		lane += "-" + r.Mode
	}
	name := fmt.Sprintf("%03d-%s-%s-rep%d.json", r.Order, lane, r.Case.Name, r.Repetition)
	return strings.NewReplacer("/", "_", " ", "_").Replace(name)
}

// Write stores r atomically in dir and returns the file's path.
func Write(dir string, r *Result) (string, error) {
	path := filepath.Join(dir, r.FileName())
	return path, WriteJSON(path, r)
}

// ErrNotResult marks a JSON file that is not a meshbench result.
var ErrNotResult = errors.New("not a meshbench result")

// ErrUnknownSchema marks a result of a version this build does not know
// (written by a newer meshbench): reading it as if it were known would
// mix definitions silently.
var ErrUnknownSchema = errors.New("unknown result schema version")

// Read loads one result file and checks its schema: a JSON file that is
// not a result at all is ErrNotResult; a result of an unknown version is
// ErrUnknownSchema, naming the file.
func Read(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case r.Schema == Schema || r.Schema == SchemaV1:
	case strings.HasPrefix(r.Schema, SchemaPrefix):
		return nil, fmt.Errorf("%s: schema %q, this meshbench reads %q and %q: %w", path, r.Schema, SchemaV1, Schema, ErrUnknownSchema)
	default:
		return nil, fmt.Errorf("%s: schema %q, want %q: %w", path, r.Schema, Schema, ErrNotResult)
	}
	return &r, nil
}

// ReadAll loads every result under the given files or directories
// (recursively), skipping JSON files that are not results, sorted by Order.
func ReadAll(paths ...string) ([]*Result, error) {
	var out []*Result
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".json") || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			r, err := Read(path)
			if errors.Is(err, ErrNotResult) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out, nil
}

// ReadComparison loads a comparison JSON file.
func ReadComparison(path string) (*Comparison, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Comparison
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.Schema != ComparisonSchema {
		return nil, fmt.Errorf("%s: schema %q, want %q", path, c.Schema, ComparisonSchema)
	}
	return &c, nil
}
