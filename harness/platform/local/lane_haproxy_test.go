package local

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/httpsrv"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
)

// TestHAProxyPairCarriesTheCaseProtocol starts the haproxy lane's two
// sidecars in front of an app that answers with the protocol its request
// arrived in: in the h2 case HAProxy must carry HTTP/2 all the way (clear
// text and over mTLS), not accept h2 and forward HTTP/1.1.
func TestHAProxyPairCarriesTheCaseProtocol(t *testing.T) {
	if _, err := lookBin("haproxy"); err != nil {
		t.Skip(err)
	}
	tests := []struct {
		protocol string
		mtls     bool
		want     string
	}{
		{"h2", false, "HTTP/2.0"},
		{"h2", true, "HTTP/2.0"},
		{"http1", true, "HTTP/1.1"},
	}
	for _, tc := range tests {
		t.Run(tc.protocol+map[bool]string{true: "-mtls", false: ""}[tc.mtls], func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				_ = httpsrv.Serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) }))
			}()

			spec := platform.Spec{Lane: platform.LaneHAProxy, Case: results.Case{Protocol: tc.protocol, MTLS: tc.mtls}}
			topo := &topology{p: New(platform.Binaries{}, WithWorkDir(t.TempDir())), spec: spec}
			defer topo.Down(context.Background())
			srvAddr, err := ports.Free()
			require.NoError(t, err)
			cliAddr, err := ports.Free()
			require.NoError(t, err)
			server := side{Name: "server-proxy", Role: results.RoleServerProxy, Inbound: true, Listen: srvAddr, Upstream: ln.Addr().String()}
			client := side{Name: "client-proxy", Role: results.RoleClientProxy, Listen: cliAddr, Upstream: srvAddr}
			require.NoError(t, haproxySidecar.start(ctx, topo, spec, server))
			require.NoError(t, haproxySidecar.start(ctx, topo, spec, client))

			var p http.Protocols
			if tc.protocol == "h2" {
				p.SetUnencryptedHTTP2(true)
			} else {
				p.SetHTTP1(true)
			}
			c := &http.Client{Transport: &http.Transport{Protocols: &p}, Timeout: 10 * time.Second}
			resp, err := c.Get("http://" + cliAddr + "/")
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.Equal(t, tc.want, string(body), "the protocol that reached the app")
		})
	}
}
