package startpages

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Mapping is one mapping of the executable as /proc/self/smaps shows it.
type Mapping struct {
	Start, End   uintptr
	Perms        string
	RSS          int64 // bytes resident
	PrivateDirty int64 // bytes dirty (a freshly written binary's page-cache pages count too)
	Anonymous    int64 // bytes copied on write: modified by this process
}

// Droppable reports whether the mapping's pages can be unmapped without
// losing anything: read-only and without a copy-on-write page. Dirty file
// pages do not matter: they are the page cache's (a binary just written by
// the linker), not this process's.
func (m Mapping) Droppable() bool {
	return !strings.Contains(m.Perms, "w") && m.Anonymous == 0
}

// ParseSmaps returns the mappings of the file exe in an smaps listing.
func ParseSmaps(r io.Reader, exe string) ([]Mapping, error) {
	var out []Mapping
	var cur *Mapping
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			cur = nil
			if len(f) < 6 || f[5] != exe {
				continue
			}
			lo, hi, ok := strings.Cut(f[0], "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if !ok || err1 != nil || err2 != nil {
				return nil, fmt.Errorf("smaps: bad address range %q", f[0])
			}
			out = append(out, Mapping{Start: uintptr(start), End: uintptr(end), Perms: f[1]})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil || len(f) < 2 {
			continue
		}
		var dst *int64
		switch f[0] {
		case "Rss:":
			dst = &cur.RSS
		case "Private_Dirty:":
			dst = &cur.PrivateDirty
		case "Anonymous:":
			dst = &cur.Anonymous
		default:
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("smaps: %s %q: %w", f[0], f[1], err)
		}
		*dst = kb << 10
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("smaps: %w", err)
	}
	return out, nil
}

// Release unmaps the droppable mappings of the running executable and
// returns how many resident bytes they held before.
func Release() (int64, error) {
	if runtime.GOOS != "linux" {
		return 0, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("startpages: %w", err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("startpages: %w", err)
	}
	defer f.Close()
	maps, err := ParseSmaps(f, exe)
	if err != nil {
		return 0, fmt.Errorf("startpages: /proc/self/smaps: %w", err)
	}
	var released int64
	for _, m := range maps {
		if !m.Droppable() {
			continue
		}
		if err := dontNeed(m.Start, m.End-m.Start); err != nil {
			return released, fmt.Errorf("startpages: madvise %x-%x: %w", m.Start, m.End, err)
		}
		released += m.RSS
	}
	return released, nil
}
