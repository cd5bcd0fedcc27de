package baseline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// ManifestSchema versions the manifest layout.
const ManifestSchema = "meshbench.baseline/v1"

// Errors callers branch on.
var (
	ErrExists   = errors.New("baseline already exists (baselines are immutable; use --force to replace it)")
	ErrNotFound = errors.New("no such baseline")
)

// Manifest describes a saved baseline.
type Manifest struct {
	Schema       string              `json:"schema"`
	Name         string              `json:"name"`
	Created      time.Time           `json:"created"`
	Source       string              `json:"source"` // directory the results were saved from
	Note         string              `json:"note,omitempty"`
	GitRevisions []string            `json:"git_revisions"` // distinct revisions of the runs
	GitDirty     bool                `json:"git_dirty"`
	Scenarios    []string            `json:"scenarios"`
	Runs         int                 `json:"runs"`
	Environment  results.Environment `json:"environment"`
	MachineIDs   []string            `json:"machine_ids"`
	Files        map[string]string   `json:"files"` // file name -> sha256
	Replaced     bool                `json:"replaced,omitempty"`
}

// Store is a directory of baselines.
type Store struct {
	Root string
	Now  func() time.Time
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// SaveOptions modify Save.
type SaveOptions struct {
	Force bool   // replace an existing baseline of the same name
	Note  string // free text kept in the manifest
	// GitRevision is recorded when the results carry none.
	GitRevision string
}

// Save copies every result under dir into the baseline name.
func (s *Store) Save(name, dir string, o SaveOptions) (*Manifest, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("baseline name %q: use letters, digits, '.', '_' or '-'", name)
	}
	rs, err := results.ReadAll(dir)
	if err != nil {
		return nil, fmt.Errorf("read results in %s: %w", dir, err)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("no meshbench results under %s", dir)
	}
	final := filepath.Join(s.Root, name)
	_, statErr := os.Stat(final)
	exists := statErr == nil
	if exists && !o.Force {
		return nil, fmt.Errorf("%s: %w", name, ErrExists)
	}
	if err := os.MkdirAll(s.Root, 0o755); err != nil {
		return nil, fmt.Errorf("create baseline store: %w", err)
	}
	tmp, err := os.MkdirTemp(s.Root, "."+name+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("create baseline: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op once renamed

	if err := os.Mkdir(filepath.Join(tmp, "results"), 0o755); err != nil {
		return nil, fmt.Errorf("create baseline: %w", err)
	}
	m := s.manifest(name, dir, rs, o)
	m.Replaced = exists
	for _, r := range rs {
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", r.FileName(), err)
		}
		sum := sha256.Sum256(data)
		m.Files[r.FileName()] = hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(tmp, "results", r.FileName()), data, 0o444); err != nil {
			return nil, fmt.Errorf("store %s: %w", r.FileName(), err)
		}
	}
	if err := results.WriteJSON(filepath.Join(tmp, "manifest.json"), m); err != nil {
		return nil, err
	}
	if exists {
		// Move the old one aside first so the name always points at a
		// complete baseline, then drop it.
		old := final + ".old-" + fmt.Sprint(s.now().UnixNano())
		if err := os.Rename(final, old); err != nil {
			return nil, fmt.Errorf("replace %s: %w", name, err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("store baseline %s: %w", name, err)
	}
	return m, nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) manifest(name, dir string, rs []*results.Result, o SaveOptions) *Manifest {
	m := &Manifest{Schema: ManifestSchema, Name: name, Created: s.now().UTC(), Source: dir, Note: o.Note,
		Runs: len(rs), Environment: rs[0].Environment, Files: map[string]string{}}
	add := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, r := range rs {
		add(&m.GitRevisions, r.Environment.GitRevision)
		add(&m.Scenarios, r.Scenario)
		add(&m.MachineIDs, r.Environment.MachineID)
		m.GitDirty = m.GitDirty || r.Environment.GitDirty
	}
	if len(m.GitRevisions) == 0 && o.GitRevision != "" {
		m.GitRevisions = []string{o.GitRevision}
	}
	return m
}

// List returns every baseline's manifest, sorted by name.
func (s *Store) List() ([]*Manifest, error) {
	entries, err := os.ReadDir(s.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list baselines: %w", err)
	}
	var out []*Manifest
	for _, e := range entries {
		if !e.IsDir() || !validName.MatchString(e.Name()) {
			continue // temporary and replaced directories start with '.'
		}
		m, err := s.Manifest(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Manifest reads one baseline's manifest.
func (s *Store) Manifest(name string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(s.Root, name, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("baseline %s manifest: %w", name, err)
	}
	return &m, nil
}

// Load returns a baseline's results after checking each file against the
// checksum in its manifest, so an edited baseline is refused, not trusted.
func (s *Store) Load(name string) ([]*results.Result, error) {
	m, err := s.Manifest(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Root, name, "results")
	for file, want := range m.Files {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != want {
			return nil, fmt.Errorf("baseline %s: %s was modified after it was saved", name, file)
		}
	}
	rs, err := results.ReadAll(dir)
	if err != nil {
		return nil, err
	}
	if len(rs) != len(m.Files) {
		return nil, fmt.Errorf("baseline %s: %d result files, manifest lists %d", name, len(rs), len(m.Files))
	}
	return rs, nil
}

// Resolve loads results from a directory or file if ref names one, else
// from the baseline called ref.
func (s *Store) Resolve(ref string) ([]*results.Result, error) {
	if _, err := os.Stat(ref); err == nil {
		return results.ReadAll(ref)
	}
	rs, err := s.Load(ref)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%q is neither a directory of results nor a saved baseline in %s", ref, s.Root)
	}
	return rs, err
}
