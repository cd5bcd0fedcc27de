package conformance

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/dataplane"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// okResponse is what the upstream answers when a case sets no script.
const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// recorder is the upstream: it records every byte it receives, parses
// requests with Go's net/http (an independent, strict parser) and answers
// each with the current case's script.
type recorder struct {
	ln net.Listener

	mu       sync.Mutex
	raw      bytes.Buffer
	requests int // requests whose head and body net/http read completely
	errs     []string
	script   string // response bytes per request
	closeAft bool   // close the connection after answering
}

func startRecorder(t *testing.T) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &recorder{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

// reset starts a case: what the upstream saw so far is forgotten.
func (r *recorder) reset(script string, closeAfter bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raw.Reset()
	r.requests, r.errs = 0, nil
	r.script, r.closeAft = script, closeAfter
	if r.script == "" {
		r.script = okResponse
	}
}

func (r *recorder) seen() (raw string, requests int, errs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raw.String(), r.requests, r.errs
}

type teeConn struct {
	net.Conn
	r *recorder
}

func (c teeConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.r.mu.Lock()
	c.r.raw.Write(b[:n])
	c.r.mu.Unlock()
	return n, err
}

func (r *recorder) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(teeConn{c, r})
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				r.fail("upstream parse: " + err.Error())
			}
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			// A body cut short is the proxy aborting a request it found
			// malformed (the case's own assertions judge that); anything
			// else is net/http refusing what the proxy forwarded.
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				r.fail("upstream body: " + err.Error())
			}
			return
		}
		r.mu.Lock()
		r.requests++
		script, closeAfter := r.script, r.closeAft
		r.mu.Unlock()
		if _, err := io.WriteString(c, script); err != nil || closeAfter {
			return
		}
	}
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	r.errs = append(r.errs, msg)
	r.mu.Unlock()
}

// Listener profiles: the suite's proxy has one listener per HTTP
// connection manager setting a case may need.
const (
	profDefault     = ""
	profRejectUnder = "reject_underscores"
	profDropUnder   = "drop_underscores"
	profHeadTimeout = "headers_timeout"
)

var profiles = map[string]func(*hcmv3.HttpConnectionManager){
	profDefault: func(*hcmv3.HttpConnectionManager) {},
	profRejectUnder: func(h *hcmv3.HttpConnectionManager) {
		h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{HeadersWithUnderscoresAction: corev3.HttpProtocolOptions_REJECT_REQUEST}
	},
	profDropUnder: func(h *hcmv3.HttpConnectionManager) {
		h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{HeadersWithUnderscoresAction: corev3.HttpProtocolOptions_DROP_HEADER}
	},
	profHeadTimeout: func(h *hcmv3.HttpConnectionManager) { h.RequestHeadersTimeout = durationpb.New(300 * time.Millisecond) },
}

func mustAddr(t *testing.T, hostport string) *corev3.Address {
	a, err := config.SocketAddress(hostport)
	require.NoError(t, err)
	return a
}

// startProxy runs a real proxy with one listener per profile, every route
// to the recorder. It returns the listener addresses by profile.
func startProxy(t *testing.T, upstream string) map[string]string {
	cluster := &clusterv3.Cluster{Name: "rec", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout: durationpb.New(time.Second),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: "rec", Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
				Endpoint: &endpointv3.Endpoint{Address: mustAddr(t, upstream)}}}}}}}}
	res := xdsconfig.Resources{Version: "1", Clusters: []*clusterv3.Cluster{cluster}}
	names := make([]string, 0, len(profiles))
	for name := range profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		set := profiles[name]
		lname := "conf-" + name
		route := &routev3.Route{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "rec"}}}}
		h := &hcmv3.HttpConnectionManager{StatPrefix: lname,
			RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{Name: lname,
				VirtualHosts: []*routev3.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: []*routev3.Route{route}}}}},
			HttpFilters: []*hcmv3.HttpFilter{{Name: "envoy.filters.http.router",
				ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: config.MustAny(&routerv3.Router{})}}}}
		set(h)
		// one loopback address each: two listeners may not both ask for 127.0.0.1:0
		ip := "127.0.0." + strconv.Itoa(i+1)
		res.Listeners = append(res.Listeners, &listenerv3.Listener{Name: lname, Address: mustAddr(t, ip+":0"),
			FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager",
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}}}}}})
	}
	p := dataplane.New(dataplane.Options{ID: "conformance", Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, p.Apply(context.Background(), res))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	addrs := map[string]string{}
	for name := range profiles {
		addrs[name] = p.Addr("conf-" + name)
	}
	return addrs
}

// exchange sends raw to addr, half-closes (unless hold: then the proxy
// must end the exchange itself) and returns everything the proxy sent
// until it closed.
func exchange(t *testing.T, addr, raw string, hold bool) string {
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = io.WriteString(c, raw)
	require.NoError(t, err)
	if !hold {
		require.NoError(t, c.(*net.TCPConn).CloseWrite())
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, c)
	if err != nil {
		t.Logf("client read: %v", err)
	}
	return out.String()
}

// statuses splits the client's bytes into responses (independently of
// the proxy's parser: net/textproto and Go's chunked reader) and returns
// their status codes; a response that cannot be read ends the list.
func statuses(out, method string) []int {
	br := bufio.NewReader(strings.NewReader(out))
	var codes []int
	for {
		tp := textproto.NewReader(br)
		line, err := tp.ReadLine()
		if err != nil {
			return codes
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") {
			return append(codes, -1)
		}
		code, err := strconv.Atoi(f[1])
		if err != nil {
			return append(codes, -1)
		}
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			return append(codes, -1)
		}
		codes = append(codes, code)
		switch te := hdr.Get("Transfer-Encoding"); {
		case method == "HEAD" || code < 200 || code == 204 || code == 304:
		case strings.HasSuffix(strings.ToLower(te), "chunked"):
			if _, err := io.Copy(io.Discard, httputil.NewChunkedReader(br)); err != nil {
				return append(codes, -1)
			}
			if _, err := tp.ReadMIMEHeader(); err != nil { // trailers
				return append(codes, -1)
			}
		case hdr.Get("Content-Length") != "":
			n, err := strconv.ParseInt(hdr.Get("Content-Length"), 10, 64)
			if err != nil {
				return append(codes, -1)
			}
			if _, err := io.CopyN(io.Discard, br, n); err != nil {
				return append(codes, -1)
			}
		default:
			_, _ = io.Copy(io.Discard, br)
		}
	}
}
