package dataplane

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// echoServer reflects method, path, body and selected headers, and counts
// the connections it accepted.
func echoServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Path", r.URL.RequestURI())
		w.Header().Set("X-Host", r.Host)
		for _, h := range []string{"X-Added", "X-Secret", "Traceparent", "X-B3-Spanid", "X-B3-Parentspanid", "Connection", "Te"} {
			w.Header().Set("Echo-"+h, r.Header.Get(h))
		}
		switch r.URL.Path {
		case "/chunked":
			w.WriteHeader(200)
			for i := range 3 {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
			return
		case "/nocontent":
			w.WriteHeader(204)
			return
		}
		_, _ = w.Write(body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func staticProxy(t *testing.T, upstream string) (*Proxy, string) {
	res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: upstream}}, nil, nil)
	require.NoError(t, err)
	return startProxy(t, res)
}

func TestHTTP1Forwarding(t *testing.T) {
	up, conns := echoServer(t)
	_, pa := staticProxy(t, up.Listener.Addr().String())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	big := strings.Repeat("z", 300<<10) // above the buffered-body limit: streams
	tests := []struct {
		name, method, path, body string
		chunkedReq               bool
		wantStatus               int
		wantBody                 string
	}{
		{"get", "GET", "/a?b=c", "", false, 200, ""},
		{"post content-length", "POST", "/p", "hello", false, 200, "hello"},
		{"post chunked request", "POST", "/p", "chunky body", true, 200, "chunky body"},
		{"large streamed body", "PUT", "/big", big, false, 200, big},
		{"chunked response", "GET", "/chunked", "", false, 200, "part0;part1;part2;"},
		{"no content", "GET", "/nocontent", "", false, 204, ""},
		{"head", "HEAD", "/h", "", false, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
				if tc.chunkedReq {
					body = io.MultiReader(body) // unknown length: chunked
				}
			}
			req, err := http.NewRequest(tc.method, "http://"+pa+tc.path, body)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, tc.wantStatus, resp.StatusCode)
			assert.Equal(t, tc.wantBody, string(got))
			if tc.wantStatus == 200 {
				assert.Equal(t, tc.method, resp.Header.Get("X-Method"))
				assert.Equal(t, tc.path, resp.Header.Get("X-Path"))
			}
		})
	}
	// keep-alive: a handful of sequential requests reuse pooled upstream connections
	for range 20 {
		resp, err := client.Get("http://" + pa + "/again")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	assert.LessOrEqual(t, conns.Load(), int64(3), "upstream connections are pooled")
}

func TestHTTP1HopByHopAndExpect(t *testing.T) {
	up, _ := echoServer(t)
	_, pa := staticProxy(t, up.Listener.Addr().String())
	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c.Close()
	br := bufio.NewReader(c)
	_, err = io.WriteString(c, "POST /e HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"+
		"Expect: 100-continue\r\nContent-Length: 4\r\n\r\n")
	require.NoError(t, err)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
	_, _ = br.ReadString('\n')
	_, err = io.WriteString(c, "abcd")
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "abcd", string(b))
	assert.Empty(t, resp.Header.Get("Echo-Connection"), "Connection is hop-by-hop")
	assert.Empty(t, resp.Header.Get("Echo-X-Secret"), "a field the Connection header names is hop-by-hop")
	// HTTP/1.0 client without keep-alive: proxy closes after the response
	_, err = io.WriteString(c, "GET /old HTTP/1.0\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err = http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.ReadAll(resp.Body)
	assert.Equal(t, 200, resp.StatusCode)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF)
}

func TestHTTP1MalformedRequestGets400(t *testing.T) {
	up, _ := echoServer(t)
	_, pa := staticProxy(t, up.Listener.Addr().String())
	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c.Close()
	_, _ = io.WriteString(c, "GARBAGE\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	assert.Equal(t, 400, resp.StatusCode)
}

func TestTracePropagation(t *testing.T) {
	up, _ := echoServer(t)
	_, pa := staticProxy(t, up.Listener.Addr().String())
	in := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	req, _ := http.NewRequest("GET", "http://"+pa+"/t", nil)
	req.Header.Set("traceparent", in)
	req.Header.Set("X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124")
	req.Header.Set("X-B3-SpanId", "a2fb4a1d1a96d312")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	out := resp.Header.Get("Echo-Traceparent")
	require.Len(t, out, 55)
	assert.Equal(t, in[:36], out[:36], "trace id kept")
	assert.NotEqual(t, in[36:52], out[36:52], "the proxy's span is the new parent")
	assert.Equal(t, in[52:], out[52:], "flags kept")
	assert.Equal(t, "a2fb4a1d1a96d312", resp.Header.Get("Echo-X-B3-Parentspanid"))
	assert.Len(t, resp.Header.Get("Echo-X-B3-Spanid"), 16)
	assert.NotEqual(t, "a2fb4a1d1a96d312", resp.Header.Get("Echo-X-B3-Spanid"))
}

func TestBadConfigIsRejectedAndLastGoodKeepsServing(t *testing.T) {
	up, _ := echoServer(t)
	good := xdsconfig.Resources{Version: "1", Clusters: []*clusterT{staticCluster(t, "up", up.Listener.Addr().String())},
		Listeners: []*listenerT{hcmListener(t, "l", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"}, prefixRoute("/", "up")))}}
	p, pa := startProxy(t, good)
	bad := xdsconfig.Resources{Version: "2", Clusters: good.Clusters,
		Listeners: []*listenerT{hcmListener(t, "l", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"}, prefixRoute("/", "missing")))}}
	err := p.Apply(t.Context(), bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown cluster "missing"`)
	assert.Equal(t, "1", p.Snapshot().Version)
	resp, err := http.Get("http://" + pa + "/still")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}
