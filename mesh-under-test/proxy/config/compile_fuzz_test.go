package config

import (
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// FuzzCompile: configuration compilation from xDS. The input is a
// protobuf-encoded Bootstrap whose static_resources are what a control
// plane would push (listeners, clusters, secrets). Whatever arrives, Compile
// does not panic, refuses with an error or returns a snapshot in which every listener has a filter chain, and compiling the
// same resources again gives the same verdict (no hidden state). Seeds:
// the fixture file's resources (testdata/static.yaml) and the empty set.
func FuzzCompile(f *testing.F) {
	r, err := ParseFile("testdata/static.yaml")
	require.NoError(f, err)
	seed, err := proto.Marshal(&bootstrapv3.Bootstrap{StaticResources: &bootstrapv3.Bootstrap_StaticResources{
		Listeners: r.Listeners, Clusters: r.Clusters, Secrets: r.Secrets}})
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var bs bootstrapv3.Bootstrap
		if proto.Unmarshal(b, &bs) != nil {
			return
		}
		sr := bs.GetStaticResources()
		res := xdsconfig.Resources{Version: "fuzz", Listeners: sr.GetListeners(), Clusters: sr.GetClusters(), Secrets: sr.GetSecrets()}
		snap, err := NewCompiler().Compile(res)
		_, again := NewCompiler().Compile(res)
		if (err == nil) != (again == nil) {
			t.Fatalf("two compilations disagree: %v, then %v", err, again)
		}
		if err != nil {
			return // refused: the proxy NACKs it and keeps its last configuration
		}
		for _, l := range snap.Listeners {
			if len(l.Chains) == 0 {
				t.Fatalf("listener %q compiled without a filter chain", l.Name)
			}
		}
	})
}
