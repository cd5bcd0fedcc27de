package conformance

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConformance runs every case through a real proxy listener to the
// recording upstream, one case at a time (the upstream's record is per
// case).
func TestConformance(t *testing.T) {
	rec := startRecorder(t)
	addrs := startProxy(t, rec.ln.Addr().String())
	seen := map[string]bool{}
	for _, tc := range cases() {
		require.False(t, seen[tc.id], "duplicate case id %s", tc.id)
		seen[tc.id] = true
		t.Run(tc.id, func(t *testing.T) {
			rec.reset(tc.up, tc.upClose)
			out := exchange(t, addrs[tc.profile], tc.req, tc.hold)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			assert.Equal(t, tc.status, statuses(out, method), "client got:\n%q", clip(out))
			for _, s := range tc.has {
				assert.Contains(t, out, s, "client")
			}
			for _, s := range tc.lacks {
				assert.NotContains(t, out, s, "client")
			}
			raw, n, errs := rec.seen()
			assert.Empty(t, errs, "the upstream's parser (net/http) refused what the proxy sent:\n%q", clip(raw))
			assert.Equal(t, tc.upReqs, n, "requests the upstream read; it received:\n%q", clip(raw))
			for _, s := range tc.upHas {
				assert.Contains(t, raw, s, "upstream")
			}
			for _, s := range tc.upLacks {
				assert.NotContains(t, raw, s, "upstream")
			}
		})
	}
	assert.GreaterOrEqual(t, len(seen), 100, "docs/proxy.md says over 100 cases (issue 11 asks for 80)")
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// --- the conformance table of docs/security.md ---

const (
	tableBegin = "<!-- conformance table: generated from mesh-under-test/proxy/conformance (CONFORMANCE_UPDATE=1 go test ./mesh-under-test/proxy/conformance/) -->"
	tableEnd   = "<!-- end of conformance table -->"
)

func code(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q[1:len(q)-1], "|", `\|`)
	return "`" + q + "`"
}

func list(prefix string, xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		parts[i] = code(x)
	}
	return "; " + prefix + " " + strings.Join(parts, ", ")
}

// docRow renders a case as a row of the table.
func docRow(tc tcase) string {
	up := "nothing"
	if tc.upReqs > 0 {
		up = strconv.Itoa(tc.upReqs) + " request"
		if tc.upReqs > 1 {
			up += "s"
		}
	}
	up += list("with", tc.upHas) + list("without", tc.upLacks)
	client := "connection closed, no response"
	if len(tc.status) > 0 {
		s := make([]string, len(tc.status))
		for i, c := range tc.status {
			s[i] = strconv.Itoa(c)
		}
		client = strings.Join(s, ", ")
	}
	client += list("with", tc.has) + list("without", tc.lacks)
	name := strings.ReplaceAll(tc.name, "|", `\|`)
	if tc.profile != "" {
		name += " (" + tc.profile + ")"
	}
	return "| " + tc.id + " | " + name + " | " + up + " | " + client + " |"
}

func renderTable() string {
	var b strings.Builder
	b.WriteString(tableBegin + "\n\n| case | the client sends | the upstream receives | the client gets |\n|---|---|---|---|\n")
	area := ""
	for _, tc := range cases() {
		if tc.area != area {
			area = tc.area
			b.WriteString("| **" + area + "** | | | |\n")
		}
		b.WriteString(docRow(tc) + "\n")
	}
	b.WriteString("\n" + tableEnd)
	return b.String()
}

func securityDoc(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "docs", "security.md")
}

// TestDocsTableMatchesSuite: docs/security.md shows exactly this suite.
func TestDocsTableMatchesSuite(t *testing.T) {
	path := securityDoc(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(b)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	require.True(t, i >= 0 && j > i, "%s: conformance table markers missing", path)
	got, want := doc[i:j+len(tableEnd)], renderTable()
	if got != want && os.Getenv("CONFORMANCE_UPDATE") == "1" {
		require.NoError(t, os.WriteFile(path, []byte(doc[:i]+want+doc[j+len(tableEnd):]), 0o644))
		return
	}
	assert.Equal(t, want, got, "%s is out of date: run CONFORMANCE_UPDATE=1 go test ./mesh-under-test/proxy/conformance/", path)
}
