package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// addRoleNodes gives the fake cluster the three labelled nodes of
// kind-config/three-nodes.yaml.
func addRoleNodes(t *testing.T, p *Platform) {
	for _, role := range []string{"mesh", "client", "server"} {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-" + role, Labels: map[string]string{roleLabel: role}}}
		_, err := p.cs.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{})
		require.NoError(t, err)
	}
}

func TestUpTwoLoadClients(t *testing.T) {
	tests := []struct {
		name      string
		spec      platform.Spec
		wantNames []string
		sidecar   bool
	}{
		{"none", platform.Spec{Lane: platform.LaneNone, LoadClients: 2},
			[]string{"app", "loadgen-0", "loadgen-1"}, false},
		{"mesh both", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, LoadClients: 2},
			[]string{"control-plane", "app", "loadgen-0", "loadgen-1", "server-proxy", "client-proxy-0", "client-proxy-1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			p, cs := newTestPlatform(t, allImages)
			addRoleNodes(t, p)
			top, err := p.Up(ctx, tt.spec)
			require.NoError(t, err)
			tp := top.(*topology)
			var names []string
			for _, pr := range top.Probes() {
				names = append(names, pr.Name())
			}
			assert.Equal(t, tt.wantNames, names)
			assert.Equal(t, 2, tp.LoadClients())
			assert.Equal(t, []string{"node-a", "node-a"}, tp.LoadClientNodes(), "the nodes the fake scheduler chose")
			for i, name := range []string{"loadgen-0", "loadgen-1"} {
				assert.Equal(t, "http://127.0.0.1:1/api/v1/namespaces/"+tp.ns+"/pods/"+name+":9080/proxy", tp.loadgens[i].Base)
				pod, err := cs.CoreV1().Pods(tp.ns).Get(ctx, name, metav1.GetOptions{})
				require.NoError(t, err)
				assert.Equal(t, "true", pod.Labels[loadgenLabel])
				side := container(t, pod, inject.ContainerName)
				assert.Equal(t, tt.sidecar, side != nil, "client sidecar in %s", name)
				if side != nil && assert.Len(t, side.Env, 1) {
					assert.Equal(t, sidecarTokenSecret(clientProxyID), side.Env[0].ValueFrom.SecretKeyRef.Name, "every client sidecar is node client-proxy")
				}
				if i == 0 {
					assert.Equal(t, map[string]string{roleLabel: "client"}, pod.Spec.NodeSelector, "the first load client on the client node")
					continue
				}
				assert.Empty(t, pod.Spec.NodeSelector, "the second load client has no node of its own")
				require.NotNil(t, pod.Spec.Affinity)
				terms := pod.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution
				require.Len(t, terms, 2)
				assert.Equal(t, map[string]string{loadgenLabel: "true"}, terms[0].PodAffinityTerm.LabelSelector.MatchLabels, "away from the other load clients first")
				assert.Greater(t, terms[0].Weight, terms[1].Weight)
				require.Len(t, pod.Spec.Tolerations, 1, "may use the control-plane node")
				na := pod.Spec.Affinity.NodeAffinity
				require.NotNil(t, na, "required off the client node, whatever order the scheduler takes the pods in")
				assert.Equal(t, []corev1.NodeSelectorRequirement{{Key: roleLabel, Operator: corev1.NodeSelectorOpNotIn, Values: []string{"client"}}},
					na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions)
			}
			require.NoError(t, top.Down(ctx))
		})
	}
}

// serveLoadgen starts a real load client API on 127.0.0.1:0 and counts the
// phases it ran and the connections each asked for.
func serveLoadgen(t *testing.T, conns *atomic.Int64) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := load.NewServer(slog.New(slog.DiscardHandler)).Handler()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/run" {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var o load.Options
			if err := json.Unmarshal(raw, &o); err == nil {
				conns.Add(int64(o.Connections))
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		h.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestRunLoadMergesTwoClients(t *testing.T) {
	ctx := context.Background()
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ectx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go func() { _ = load.ServeEcho(ectx, echo) }()

	var conns [2]atomic.Int64
	tp := &topology{}
	for i := range conns {
		tp.loadgens = append(tp.loadgens, &load.Client{Base: serveLoadgen(t, &conns[i])})
	}
	rep, err := tp.runLoad(ctx, load.Options{URL: "http://" + echo.Addr().String() + "/echo", QPS: 200, Connections: 4,
		Duration: time.Second, Protocol: results.ProtocolHTTP1, Resolution: 0.0001})
	require.NoError(t, err)
	assert.Equal(t, int64(2), conns[0].Load(), "each client ran half the connections")
	assert.Equal(t, int64(2), conns[1].Load())
	// The two halves add up to the phase's rate (not one half, not twice),
	// unless the machine starved the load clients, which they then report
	// (a busy CI host sent 150 of 200).
	assert.LessOrEqual(t, rep.Requests, int64(230), "the two halves add up to the phase's rate, not more")
	if rep.Requests < 170 {
		assert.True(t, rep.FellBehind, "%d of 200 requests and the load clients did not report falling behind", rep.Requests)
	}
	assert.Zero(t, rep.Errors)
	assert.Equal(t, rep.Requests, rep.Histogram.Count, "the merged histogram holds every request of both clients")
	assert.Greater(t, rep.Latency.P50, 0.0)
}
