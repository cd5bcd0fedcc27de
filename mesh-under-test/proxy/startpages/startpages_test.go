package startpages

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `00400000-00e4e000 r-xp 00000000 fe:00 10415769                           /bin/meshproxy
Size:              10552 kB
Rss:                9648 kB
Private_Dirty:       100 kB
Anonymous:             0 kB
00e4e000-01ba4000 r--p 00a4e000 fe:00 10415769                           /bin/meshproxy
Rss:                9492 kB
Private_Dirty:         8 kB
Anonymous:             8 kB
01bc1000-01c6b000 rw-p 017c1000 fe:00 10415769                           /bin/meshproxy
Rss:                 616 kB
Private_Dirty:       300 kB
Anonymous:           300 kB
01c6b000-03cb4000 rw-p 00000000 00:00 0
Rss:                 124 kB
7fda4f77b000-7fda4f8d1000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 916 kB
Private_Dirty:         0 kB
`

func TestParseSmapsAndDroppable(t *testing.T) {
	maps, err := ParseSmaps(strings.NewReader(sample), "/bin/meshproxy")
	require.NoError(t, err)
	require.Len(t, maps, 3, "only the executable's mappings")
	for i, tc := range []struct {
		start     uintptr
		rss       int64
		droppable bool
	}{
		{0x400000, 9648 << 10, true},  // code; dirty in the page cache, never copied
		{0xe4e000, 9492 << 10, false}, // read-only now, but a page was copied on write (relocated)
		{0x1bc1000, 616 << 10, false}, // writable data
	} {
		assert.Equal(t, tc.start, maps[i].Start, "mapping %d", i)
		assert.Equal(t, tc.rss, maps[i].RSS, "mapping %d", i)
		assert.Equal(t, tc.droppable, maps[i].Droppable(), "mapping %d", i)
	}
}

func TestParseSmapsBadInput(t *testing.T) {
	_, err := ParseSmaps(strings.NewReader("zz-00e4e000 r-xp 0 fe:00 1 /bin/x\n"), "/bin/x")
	require.ErrorContains(t, err, "bad address range")
	_, err = ParseSmaps(strings.NewReader("00400000-00e4e000 r-xp 0 fe:00 1 /bin/x\nRss: many kB\n"), "/bin/x")
	require.ErrorContains(t, err, "Rss:")
}

// TestReleaseLowersFileRSS: in this very test binary, the binary's resident
// pages drop and the code keeps running (the pages come back on use).
func TestReleaseLowersFileRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	before := rssFileKB(t)
	released, err := Release()
	require.NoError(t, err)
	after := rssFileKB(t)
	assert.Positive(t, released)
	assert.Less(t, after, before, "RssFile before %d kB, after %d kB, released %d bytes", before, after, released)
	_, err = ParseSmaps(strings.NewReader(sample), "/bin/meshproxy") // code paged back in on use
	require.NoError(t, err)
}

func rssFileKB(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
