package outdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// LockName is the lock file Claim creates in the output directory.
const LockName = ".meshbench.lock"

// DefaultMinFree is the free space Claim requires by default: a run writes
// result files of tens of KiB and a report of a few MiB; less than this
// free means the run would fail after it has measured.
const DefaultMinFree = 64 << 20

// ErrInUse is returned when another process holds the directory's lock.
var ErrInUse = errors.New("in use by another meshbench")

// Lock is a claimed output directory. Release it when the command ends.
type Lock struct {
	Dir string
	f   *os.File
}

// Option changes what Claim checks.
type Option func(*options)

type options struct{ minFree uint64 }

// WithMinFree sets the free space, in bytes, the directory's file system
// must have (default DefaultMinFree; 0 checks nothing).
func WithMinFree(b uint64) Option { return func(o *options) { o.minFree = b } }

// Claim makes dir, checks that it is writable and has room, and locks it
// exclusively. Every error names the directory.
func Claim(dir string, opts ...Option) (*Lock, error) {
	o := options{minFree: DefaultMinFree}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory %s: cannot create it: %w", dir, err)
	}
	path := filepath.Join(dir, LockName)
	// Opening for writing is the writability probe: it creates a file in
	// dir, which is exactly what every result write needs.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("output directory %s: %w (%s, lock %s): give each run its own -o",
				dir, ErrInUse, strings.TrimSpace(string(holder)), path)
		}
		return nil, fmt.Errorf("output directory %s: lock %s: %w", dir, path, err)
	}
	// A lock taken on a file its previous holder had just removed is a
	// lock on nothing: the next claimant creates a new file. Claim again.
	if fi, err := f.Stat(); err == nil {
		if pi, err := os.Stat(path); err != nil || !os.SameFile(fi, pi) {
			f.Close()
			return Claim(dir, opts...)
		}
	}
	l := &Lock{Dir: dir, f: f}
	if err := l.probe(o.minFree); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// probe records the holder in the lock file (a real write, synced: a full
// file system fails it) and checks the free space.
func (l *Lock) probe(minFree uint64) error {
	holder := fmt.Sprintf("pid %d: %s\n", os.Getpid(), strings.Join(os.Args, " "))
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", l.Dir, err)
	}
	if _, err := l.f.WriteAt([]byte(holder), 0); err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", l.Dir, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", l.Dir, err)
	}
	if minFree == 0 {
		return nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(l.Dir, &st); err != nil {
		return fmt.Errorf("output directory %s: free space: %w", l.Dir, err)
	}
	if free := st.Bavail * uint64(st.Bsize); free < minFree {
		return fmt.Errorf("output directory %s is full: %s free, a run needs at least %s", l.Dir, mib(free), mib(minFree))
	}
	return nil
}

// Release drops the lock and removes the lock file. It is safe on nil and
// to call twice.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	// Remove before unlocking: a waiting claimant then creates a fresh file.
	_ = os.Remove(filepath.Join(l.Dir, LockName))
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
