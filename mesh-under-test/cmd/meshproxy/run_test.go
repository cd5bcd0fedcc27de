package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/internal/ports"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// freeAddr is a port below the ephemeral range (internal/ports), which
// the test's own outgoing connections cannot take before the proxy binds it.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := ports.Free()
	require.NoError(t, err)
	return addr
}

func TestRunStaticModeAdminAndGracefulStop(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "app") }))
	defer app.Close()
	adminAddr, listen := freeAddr(t), freeAddr(t)
	var stderr syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--id", "client", "--admin", adminAddr, "--outbound", listen + "=" + app.Listener.Addr().String(),
			"--workers", "1", "--inject-spin", "2us"}, io.Discard, &stderr)
	}()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + adminAddr + "/ready")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == 200
	}, 10*time.Second, 10*time.Millisecond)
	resp, err := http.Get("http://" + listen + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, "app", string(b))
	admin := func(path string) (int, string) {
		resp, err := http.Get("http://" + adminAddr + path)
		if err != nil {
			return 0, err.Error()
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	// The proxy counts a request once it has written the whole answer (its
	// duration and size are part of the record, as Envoy's stats at stream
	// end): the client may read the answer just before the count lands.
	assert.Eventually(t, func() bool {
		code, body := admin("/metrics")
		return code == 200 && strings.Contains(body, `meshproxy_requests_total{code="200"`)
	}, 5*time.Second, 10*time.Millisecond, "the request is counted in /metrics")
	for _, path := range []string{"/config_dump", "/debug/pprof/"} {
		code, body := admin(path)
		assert.Equal(t, 200, code, path)
		if path == "/config_dump" {
			assert.Contains(t, string(body), `"outbound|`+listen)
		}
	}
	assert.Contains(t, stderr.String(), "FAULT INJECTION ENABLED")
	// --release-start-pages (default on) runs once the proxy has been ready
	// for startSettle, and the proxy keeps serving afterwards.
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "released start-up pages") },
		startSettle+10*time.Second, 50*time.Millisecond)
	assert.Regexp(t, `"resident_bytes":[1-9]`, stderr.String())
	resp, err = http.Get("http://" + listen + "/")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, "app", string(b))
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful exit")
	}
}

func TestRunRejectsBadInvocations(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no config", []string{"--admin", "127.0.0.1:0"}, "no configuration"},
		{"bad mapping", []string{"--admin", "127.0.0.1:0", "--outbound", "x"}, "LISTEN_ADDR=UPSTREAM_ADDR"},
		{"partial tls", []string{"--admin", "127.0.0.1:0", "--outbound", "127.0.0.1:0=127.0.0.1:1", "--tls-cert", "c"}, "go together"},
		{"missing cert file", []string{"--admin", "127.0.0.1:0", "--inbound", "127.0.0.1:0=127.0.0.1:1",
			"--tls-cert", "/nonexistent/c", "--tls-key", "k", "--tls-ca", "a"}, "nonexistent"},
		{"error fraction over 1", []string{"--admin", "127.0.0.1:0", "--outbound", "127.0.0.1:0=127.0.0.1:1",
			"--inject-error-fraction", "2"}, "--inject-error-fraction 2: outside 0..1"},
		{"server name without xds-ca", []string{"--admin", "127.0.0.1:0", "--xds", "127.0.0.1:1", "--xds-server-name", "meshcontrol"}, "--xds-server-name needs --xds-ca"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Run(context.Background(), tc.args, io.Discard, io.Discard)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), err.Error())
		})
	}
}

// TestHealthListenerServesOnlyReady: --health is what the injector exposes
// on the pod IP; it must answer the probe and nothing the admin port has.
func TestHealthListenerServesOnlyReady(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer app.Close()
	adminAddr, healthAddr, listen := freeAddr(t), freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--admin", adminAddr, "--health", healthAddr,
			"--outbound", listen + "=" + app.Listener.Addr().String()}, io.Discard, io.Discard)
	}()
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			return 0
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	require.Eventually(t, func() bool { return get("http://"+healthAddr+"/ready") == 200 }, 10*time.Second, 10*time.Millisecond)
	for _, path := range []string{"/config_dump", "/debug/pprof/", "/debug/pprof/profile", "/metrics", "/"} {
		assert.Equal(t, http.StatusNotFound, get("http://"+healthAddr+path), path)
		if path != "/" {
			assert.Equal(t, http.StatusOK, get("http://"+adminAddr+path+"?seconds=1"), "admin "+path)
		}
	}
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful exit")
	}
}

// Every injection docs/gate.md's proof reruns pass to the candidate's
// proxies (the flags of one command together) is accepted by meshproxy,
// with values in range, and turns an injection on.
func TestGateProofInjectionsParse(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/gate.md")
	require.NoError(t, err)
	re := regexp.MustCompile(`--candidate-proxy-arg=(--inject-[a-z-]+=[^\s` + "`" + `]+)`)
	seen := map[string]bool{}
	commands := 0
	for _, line := range strings.Split(string(doc), "\n") {
		args := []string{"--outbound", "127.0.0.1:0=127.0.0.1:1"}
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			args = append(args, m[1])
			seen[strings.SplitN(m[1], "=", 2)[0]] = true
		}
		if len(args) == 2 {
			continue
		}
		commands++
		f, err := parseFlags(args, io.Discard)
		require.NoError(t, err, line)
		assert.True(t, f.inject.Enabled(), line)
	}
	assert.GreaterOrEqual(t, commands, 6, "the proof table's commands")
	for _, flag := range []string{"--inject-spin", "--inject-delay", "--inject-delay-fraction", "--inject-retain-per-request",
		"--inject-error-fraction", "--inject-upstream-headers"} {
		assert.True(t, seen[flag], "docs/gate.md proves %s", flag)
	}
}

func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		flag      int
		want      int
		set       bool
	}{
		{"default", "", defaultGOGC, 50, true},
		{"flag", "", 80, 80, true},
		{"environment wins", "200", 80, 0, false},
		{"environment off wins", "off", defaultGOGC, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, set := gcPercent(tc.env, tc.flag)
			assert.Equal(t, tc.set, set)
			assert.Equal(t, tc.want, got)
		})
	}
	f, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 50, f.gogc, "the documented default")
}
