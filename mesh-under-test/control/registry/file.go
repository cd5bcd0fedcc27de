package registry

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// File is a registry backed by one mesh file. It reloads the file when it
// changes (writers should replace it atomically, as meshconfig.WriteFile
// does); an invalid new version is logged and ignored, keeping the last
// good one.
type File struct {
	path string
	log  *slog.Logger

	mu   sync.RWMutex
	mesh *meshconfig.Mesh
	data []byte // what mesh was parsed from
}

// NewFile loads path; it fails when the file is missing or invalid.
func NewFile(path string, log *slog.Logger) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mesh file: %w", err)
	}
	m, err := meshconfig.Parse(path, data)
	if err != nil {
		return nil, err
	}
	return &File{path: path, log: log, mesh: m, data: data}, nil
}

// Name implements Source.
func (f *File) Name() string { return "file:" + f.path }

// Snapshot implements Source.
func (f *File) Snapshot() Snapshot {
	f.mu.RLock()
	defer f.mu.RUnlock()
	pol := f.mesh.Policy
	return Snapshot{Services: f.mesh.Services, Proxies: f.mesh.Proxies, Policy: &pol, Revision: f.mesh.Revision, TrustDomain: f.mesh.TrustDomain, Credentials: f.mesh.Credentials,
		Telemetry: f.mesh.Telemetry}
}

// Run implements Source: it watches the file's directory, because an atomic
// replace swaps the inode a watch on the file itself would follow.
func (f *File) Run(ctx context.Context, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", f.path, err)
	}
	defer w.Close()
	abs, err := filepath.Abs(f.path)
	if err != nil {
		return fmt.Errorf("watch %s: %w", f.path, err)
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("watch %s: %w", filepath.Dir(abs), err)
	}
	// A change between NewFile and the watch would otherwise go unseen.
	if f.reload() {
		changed()
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-w.Errors:
			f.log.Warn("mesh file watch error", "path", f.path, "error", err)
		case ev := <-w.Events:
			// Kubernetes updates a mounted ConfigMap by swapping the
			// "..data" symlink, never touching the file's own name.
			name := filepath.Clean(ev.Name)
			if name != abs && !strings.HasPrefix(filepath.Base(name), "..") || !ev.Has(fsnotify.Write|fsnotify.Create|fsnotify.Rename) {
				continue
			}
			if f.reload() {
				changed()
			}
		}
	}
}

func (f *File) reload() bool {
	data, err := os.ReadFile(f.path)
	if err != nil {
		f.log.Warn("mesh file unreadable, keeping the previous version", "error", err)
		return false
	}
	f.mu.RLock()
	same := bytes.Equal(data, f.data)
	f.mu.RUnlock()
	if same {
		return false
	}
	m, err := meshconfig.Parse(f.path, data)
	if err != nil {
		// A writer that is not atomic shows us half a file; the next
		// event brings the rest.
		f.log.Warn("mesh file rejected, keeping the previous version", "error", err)
		return false
	}
	f.mu.Lock()
	f.mesh, f.data = m, data
	f.mu.Unlock()
	return true
}
