package local

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/httpsrv"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// refProxy is a reference lane under test: its sidecar, the HTTP protocols
// its ingress modes carry (the catalog's), and how to read a position's
// hop log (Platform.hopLog).
type refProxy struct {
	lane      string
	sc        sidecar
	protocols []string
	log       func(t *testing.T, topo *topology, s side) string
}

var refProxies = []refProxy{
	{platform.LaneHAProxy, haproxySidecar, []string{results.ProtocolHTTP1, results.ProtocolH2}, func(t *testing.T, topo *topology, s side) string {
		for _, pr := range topo.procs {
			if pr.name == s.Name {
				return pr.logs.String() // haproxy logs to its stdout
			}
		}
		t.Fatalf("no process %s", s.Name)
		return ""
	}},
	{platform.LaneNginx, nginxSidecar, []string{results.ProtocolHTTP1}, func(t *testing.T, topo *topology, s side) string {
		b, err := os.ReadFile(filepath.Join(topo.workDir, s.Name+"-nginx", "access.log"))
		require.NoError(t, err)
		return string(b)
	}},
}

// TestReferenceIngressPath carries requests through the haproxy and nginx
// ingress lanes (real proxies, the lane's own start code) in each HTTP
// protocol they carry, with mTLS off and on, and checks the path from each
// proxy's own access log: every hop logged each request once, on the
// listener the topology gave it and to the upstream it names (loadgen ->
// [client-proxy ->] ingress-gateway -> server-proxy -> app); the hops into
// the gateway plaintext; with mTLS the server sidecar's listener TLS with
// the gateway's certificate as the peer. The app sees the case's protocol.
func TestReferenceIngressPath(t *testing.T) {
	for _, px := range refProxies {
		for _, mode := range []string{platform.ModeIngress, platform.ModeIngressBoth} {
			for _, proto := range px.protocols {
				for _, mtls := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/%s/mtls=%v", px.lane, mode, proto, mtls), func(t *testing.T) {
						if _, err := lookBin(px.lane); err != nil {
							t.Skip(err)
						}
						checkIngressPath(t, px, mode, results.Case{Protocol: proto, MTLS: mtls})
					})
				}
			}
		}
	}
}

func checkIngressPath(t *testing.T, px refProxy, mode string, c results.Case) {
	app, hits := protoApp(t)
	p := New(platform.Binaries{}, WithWorkDir(t.TempDir()))
	p.hopLog = true
	spec := platform.Spec{Lane: px.lane, Mode: mode, Case: c}
	topo := &topology{p: p, spec: spec, addrs: map[string]string{}}
	defer topo.Down(context.Background())
	require.NoError(t, startSidecarIngress(t.Context(), topo, spec, px.sc, app))
	require.NotNil(t, topo.features)
	assert.Equal(t, "ingress", topo.features.Extra["gateway"])
	assert.Equal(t, c.MTLS, topo.features.MTLS)

	sides, roles := topoSides(topo, app, mode)
	assert.Equal(t, urlFor(sides[len(sides)-1].Listen), topo.target, "the load client calls the first proxy")
	var protos http.Protocols
	want := "HTTP/1.1 plain"
	if c.Protocol == results.ProtocolH2 {
		protos.SetUnencryptedHTTP2(true)
		want = "HTTP/2.0 plain" // HTTP/2 all the way, as the mesh carries it
	} else {
		protos.SetHTTP1(true)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Protocols: &protos}}
	const n = 5
	for i := range n {
		// Any host and path: the gateway's one catch-all route.
		req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(topo.target, "/echo")+"/hop-check?i="+fmt.Sprint(i), nil)
		require.NoError(t, err)
		req.Host = fmt.Sprintf("host-%d.example", i)
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, want, string(body), "what reached the app from the server sidecar")
	}
	assert.EqualValues(t, n, hits.Load(), "every request reached the app once")
	for _, s := range sides {
		// A proxy logs a request once it has answered it: the last line
		// may land just after the client read the answer.
		var hops []string
		require.Eventually(t, func() bool {
			hops = hops[:0]
			for _, line := range strings.Split(px.log(t, topo, s), "\n") {
				if strings.Contains(line, "/hop-check") {
					hops = append(hops, line)
				}
			}
			return len(hops) >= n
		}, 5*time.Second, 20*time.Millisecond, "%s (%s) logged %d of %d requests", s.Name, roles[s.Name], len(hops), n)
		require.Len(t, hops, n, "%s (%s) logged each request once:\n%s", s.Name, roles[s.Name], strings.Join(hops, "\n"))
		for _, h := range hops {
			assert.Contains(t, h, "listen="+s.Listen+" ", s.Name)
			assert.Contains(t, h, "upstream="+s.Upstream+" ", s.Name)
			assert.Contains(t, h, "status=200", s.Name)
			if c.MTLS && s.Inbound {
				assert.Regexp(t, `tls=(1|on) peer=\S*/sa/`+gatewayName+`$`, h, "%s: mTLS from the gateway's identity", s.Name)
			} else {
				assert.Regexp(t, `tls=(0|-)? peer=-?$`, h, "%s: plaintext into it", s.Name)
			}
		}
	}
	if c.MTLS {
		// Around the gateway: plaintext, and TLS without a client
		// certificate, must not reach the app (HAProxy fails the handshake,
		// nginx answers 400).
		server := sides[0]
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		for _, u := range []string{urlFor(server.Listen), "https://" + server.Listen + "/echo"} {
			if resp, err := c.Get(u); err == nil {
				resp.Body.Close()
				assert.NotEqual(t, http.StatusOK, resp.StatusCode, u)
			}
		}
		assert.EqualValues(t, n, hits.Load(), "nothing but the gateway's calls reached the app")
	}
}

// topoSides rebuilds the started sides from the topology's addresses, in
// start order (server sidecar, gateway, client sidecar).
func topoSides(topo *topology, app, mode string) ([]side, map[string]string) {
	server := side{Name: "server-proxy", Role: results.RoleServerProxy, Inbound: true, Listen: topo.addrs["server-proxy"], Upstream: app}
	gw := side{Name: gatewayName, Role: results.RoleGateway, Listen: topo.addrs[gatewayName], Upstream: server.Listen}
	sides := []side{server, gw}
	if mode == platform.ModeIngressBoth {
		sides = append(sides, side{Name: "client-proxy", Role: results.RoleClientProxy, Listen: topo.addrs["client-proxy"], Upstream: gw.Listen})
	}
	roles := map[string]string{}
	for _, pr := range topo.procs {
		roles[pr.name] = pr.role
	}
	return sides, roles
}

// protoApp serves HTTP/1.1 and h2c on 127.0.0.1 and answers with the
// protocol its request arrived in and whether over TLS; hits counts the
// /hop-check requests.
func protoApp(t *testing.T) (string, *atomic.Int64) {
	hits := new(atomic.Int64)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		_ = httpsrv.Serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hop-check" {
				hits.Add(1)
			}
			sec := "plain"
			if r.TLS != nil {
				sec = "tls"
			}
			_, _ = io.WriteString(w, r.Proto+" "+sec)
		}))
	}()
	return ln.Addr().String(), hits
}
