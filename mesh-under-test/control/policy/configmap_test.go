package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshbench/meshbench/mesh-under-test/control/policy"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

func cm(name, doc string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "mesh-system"}, Data: map[string]string{policy.DefaultKey: doc}}
}

func TestConfigMapPolicy(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(
		cm("meshcontrol", "policy:\n  mtls: strict\n  routes:\n    - service: cart\n      rules: [{timeout: 2s}]\n"),
		cm("unrelated", "policy: {mtls: disable}\n"),
	)
	src := &policy.ConfigMap{Client: client, Namespace: "mesh-system", ConfigMapName: "meshcontrol"}
	changed := make(chan struct{}, 10)
	go src.Run(ctx, func() { changed <- struct{}{} })
	wait := func() {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
			t.Fatal("no change reported")
		}
	}
	wait()
	snap := src.Snapshot()
	require.NotNil(t, snap.Policy)
	assert.Equal(t, meshconfig.MTLSStrict, snap.Policy.MTLS)
	assert.Equal(t, "cart", snap.Policy.Routes[0].Service, "services may live in another registry")

	// A broken edit is refused; the last good policy stays.
	_, err := client.CoreV1().ConfigMaps("mesh-system").Update(ctx, cm("meshcontrol", "policy:\n  mtls: sometimes\n"), metav1.UpdateOptions{})
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, meshconfig.MTLSStrict, src.Snapshot().Policy.MTLS)

	_, err = client.CoreV1().ConfigMaps("mesh-system").Update(ctx, cm("meshcontrol", "policy: {mtls: permissive}\n"), metav1.UpdateOptions{})
	require.NoError(t, err)
	wait()
	assert.Equal(t, meshconfig.MTLSPermissive, src.Snapshot().Policy.MTLS)
}
