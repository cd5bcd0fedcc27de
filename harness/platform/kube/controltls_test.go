package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/mesh-under-test/control/app"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/deploy"
)

// controlPlaneTLS: the lane's CA root is in the Secret meshcontrol mounts
// as --ca-dir (certificate and matching key), the ConfigMap holds the
// certificate alone, and every sidecar verifies meshcontrol with it under
// the name meshcontrol. Then the real meshcontrol (control/app) is started
// the way the manifest starts it, from those very files and the lane's mesh
// file: a client trusting the ConfigMap's root completes a TLS handshake
// naming deploy.ServerName; one trusting another root cannot.
func controlPlaneTLS(t *testing.T, cs *fake.Clientset, ns, mode string) {
	t.Helper()
	ctx := context.Background()
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, deploy.CASecret, metav1.GetOptions{})
	require.NoError(t, err)
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, deploy.RootConfigMap, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{ca.RootCertFile}, slices.Sorted(maps.Keys(cm.Data)), "the ConfigMap holds the certificate, never the key")
	assert.Equal(t, string(sec.Data[ca.RootCertFile]), cm.Data[ca.RootCertFile])

	sidecars := map[string]string{"app": serverProxyID, "loadgen": clientProxyID}
	for pod, node := range sidecars {
		if (node == serverProxyID && mode == platform.ModeClientOnly) || (node == clientProxyID && mode == platform.ModeServerOnly) {
			continue
		}
		p, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		require.NoError(t, err)
		side := container(t, p, inject.ContainerName)
		require.NotNil(t, side, pod)
		i := slices.Index(side.Args, "--xds-ca")
		require.GreaterOrEqual(t, i, 0, "%s: ADS over TLS: %v", pod, side.Args)
		j := slices.Index(side.Args, "--xds-server-name")
		require.GreaterOrEqual(t, j, 0, "%s: %v", pod, side.Args)
		assert.Equal(t, deploy.ServerName, side.Args[j+1])
		var fromCM bool
		for _, v := range p.Spec.Volumes {
			for _, m := range side.VolumeMounts {
				if m.Name == v.Name && v.ConfigMap != nil && v.ConfigMap.Name == deploy.RootConfigMap && filepath.Join(m.MountPath, ca.RootCertFile) == side.Args[i+1] {
					fromCM = true
				}
			}
		}
		assert.True(t, fromCM, "%s: --xds-ca %s is root-cert.pem of the ConfigMap %s", pod, side.Args[i+1], deploy.RootConfigMap)
	}

	dir := t.TempDir()
	for name, b := range sec.Data {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o400))
	}
	mesh, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, meshConfigMap, metav1.GetOptions{})
	require.NoError(t, err)
	meshFile := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, os.WriteFile(meshFile, []byte(mesh.Data["mesh.yaml"]), 0o600))
	inst, err := app.Start(ctx, app.Config{MeshFile: meshFile, Listen: "127.0.0.1:0", Admin: "127.0.0.1:0", TLS: true, CADir: dir,
		NodeTokenSecret: "s", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err, "meshcontrol --tls --ca-dir loads the lane's root from the Secret's files")
	defer inst.Stop()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(cm.Data[ca.RootCertFile])))
	netDialer := net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(&netDialer, "tcp", inst.Addr(), &tls.Config{RootCAs: pool, ServerName: deploy.ServerName, NextProtos: []string{"h2"}})
	require.NoError(t, err, "a sidecar trusting the ConfigMap's root verifies meshcontrol as %s", deploy.ServerName)
	conn.Close()
	_, err = tls.DialWithDialer(&netDialer, "tcp", inst.Addr(), &tls.Config{RootCAs: x509.NewCertPool(), ServerName: deploy.ServerName})
	assert.Error(t, err, "a client trusting another root cannot verify it")
}
