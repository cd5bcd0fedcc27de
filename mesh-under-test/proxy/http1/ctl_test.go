package http1

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHasCTL: the word-at-a-time scan agrees with the byte table for
// every byte value at every position of lines of every length up to 24
// (whole words, tails, a word and a tail), on a background of printable,
// HTAB and high (obs-text) bytes.
func TestHasCTL(t *testing.T) {
	for _, fill := range []byte{'a', '\t', 0x80, 0xff, 0x7e, 0x20} {
		for n := 0; n <= 24; n++ {
			line := bytes.Repeat([]byte{fill}, n)
			assert.Equal(t, ctl[fill], hasCTL(line), "fill 0x%02x len %d", fill, n)
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					line[pos] = byte(c)
					if hasCTL(line) != (ctl[c] || ctl[fill]) {
						t.Fatalf("fill 0x%02x len %d: byte 0x%02x at %d: hasCTL %v", fill, n, c, pos, hasCTL(line))
					}
				}
				line[pos] = fill
			}
		}
	}
}
