package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeadComplete(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST", true},
		{"GET / HTTP/1.1\nHost: a\n\n", true},
		{"GET / HTTP/1.1\r\nHost: a\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: a\r\n", false},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r", false},
		{"GET / HTTP/1.1\r\n", false},
		{"\r\n\r\n\n", false}, // leading empty lines are skipped, not a head's end
		{"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
		{"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n", false},
		{"GET / HTTP/1.1\r\nX: \r\r\n\r\n", true}, // malformed (bare CR), but whole: Read fails on it
		{"GET / HTTP/1.1\r\n \r\n", false},        // a line of a space is not empty
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, HeadComplete([]byte(tc.in)))
			assertAgreesWithRead(t, []byte(tc.in))
		})
	}
}

var errPastEnd = errors.New("read past the end")

// pastEnd is what a reader holds after the bytes under test.
type pastEnd struct{ touched bool }

func (p *pastEnd) Read([]byte) (int, error) { p.touched = true; return 0, errPastEnd }

// assertAgreesWithRead: when HeadComplete says whole, Read never reads
// past b; when Read succeeds without reading past b, HeadComplete says
// whole.
func assertAgreesWithRead(t testing.TB, b []byte) {
	end := &pastEnd{}
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(b), end), 64<<10)
	if len(b) > 0 {
		_, err := br.Peek(len(b))
		require.NoError(t, err)
	}
	r := NewRequest()
	err := r.Read(br)
	if HeadComplete(b) && end.touched {
		t.Fatalf("HeadComplete(%q) but Read read past it (%v)", b, err)
	}
	if err == nil && !end.touched && !HeadComplete(b) {
		t.Fatalf("Read parsed a head from %q alone but HeadComplete says no", b)
	}
}

func FuzzHeadComplete(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Add([]byte("\r\nPOST /x HTTP/1.0\nContent-Length: 3\n\nabc"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r"))
	f.Fuzz(func(t *testing.T, b []byte) { assertAgreesWithRead(t, b) })
}
