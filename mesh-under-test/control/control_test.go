package control

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
	"github.com/meshbench/meshbench/mesh-under-test/control/server"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// staticSource is a registry.Source at the Source seam; synced, when set,
// makes it a registry.Syncer.
type staticSource struct {
	name   string
	snap   registry.Snapshot
	synced chan struct{}
}

func (s *staticSource) Name() string                { return s.name }
func (s *staticSource) Snapshot() registry.Snapshot { return s.snap }
func (s *staticSource) Run(ctx context.Context, _ func()) error {
	<-ctx.Done()
	return ctx.Err()
}

type syncingSource struct{ *staticSource }

func (s syncingSource) Synced() <-chan struct{} { return s.synced }

func svc(name, proto string, addrs ...string) meshconfig.Service {
	s := meshconfig.Service{Name: name, Protocol: proto}
	for _, a := range addrs {
		s.Endpoints = append(s.Endpoints, meshconfig.Endpoint{Address: a})
	}
	return s
}

func TestMergeTakesEndpointsOfAServiceDeclaredWithout(t *testing.T) {
	file := &staticSource{name: "file", snap: registry.Snapshot{Services: []meshconfig.Service{
		svc("app", meshconfig.ProtocolHTTP2),                 // declared: protocol, no endpoints
		svc("pinned", meshconfig.ProtocolHTTP, "1.1.1.1:80"), // declared with endpoints: kept
		svc("empty", meshconfig.ProtocolHTTP),                // nobody has endpoints: stays empty (503)
	}}}
	kube := &staticSource{name: "kubernetes", snap: registry.Snapshot{Services: []meshconfig.Service{
		svc("app", meshconfig.ProtocolHTTP, "10.244.0.7:8080", "10.244.0.9:8080"),
		svc("pinned", meshconfig.ProtocolHTTP, "10.244.0.8:80"),
		svc("other", meshconfig.ProtocolGRPC, "10.244.0.5:9000"),
	}}}
	m := merge([]registry.Source{file, kube})
	byName := map[string]meshconfig.Service{}
	for _, s := range m.Services {
		byName[s.Name] = s
	}
	require.Len(t, byName, 4)
	assert.Equal(t, meshconfig.ProtocolHTTP2, byName["app"].Protocol, "the first source's declaration wins")
	assert.Equal(t, []meshconfig.Endpoint{{Address: "10.244.0.7:8080", Weight: 1}, {Address: "10.244.0.9:8080", Weight: 1}}, byName["app"].Endpoints)
	assert.Equal(t, []meshconfig.Endpoint{{Address: "1.1.1.1:80", Weight: 1}}, byName["pinned"].Endpoints)
	assert.Empty(t, byName["empty"].Endpoints)
	assert.Len(t, byName["other"].Endpoints, 1)
	assert.Empty(t, file.snap.Services[0].Endpoints, "the source's snapshot is not modified")
}

func TestRunBuildsNothingBeforeEverySyncerSynced(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	kube := syncingSource{&staticSource{name: "kubernetes", synced: make(chan struct{}),
		snap: registry.Snapshot{Services: []meshconfig.Service{svc("app", meshconfig.ProtocolHTTP, "10.244.0.7:8080")}}}}
	c, err := New(Options{Sources: []registry.Source{kube}, Server: server.New(ctx, server.Options{})})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	assert.False(t, c.Ready(), "ready before the registry synced")
	assert.Nil(t, c.Mesh())
	close(kube.synced)
	select {
	case <-c.Built():
	case <-time.After(5 * time.Second):
		t.Fatal("no configuration built after the registry synced")
	}
	assert.True(t, c.Ready())
	assert.Equal(t, "10.244.0.7:8080", c.Mesh().Service("app").Endpoints[0].Address)
	cancel()
	require.NoError(t, <-done)
}
