package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/deploy"
)

// createCARoot makes the mesh CA's root for one lane and hands it out as
// the manifests expect: root and key in the Secret deploy.CASecret, which
// only meshcontrol's pod mounts (--ca-dir), the certificate alone in the
// ConfigMap deploy.RootConfigMap, which every sidecar mounts to verify
// meshcontrol (--xds-ca). The harness creates the root rather than
// meshcontrol because the sidecars must trust it before meshcontrol runs;
// the key exists only in the Secret (the temporary directory it was
// written to is removed).
func (t *topology) createCARoot(ctx context.Context, icfg *inject.Config) error {
	dir, err := os.MkdirTemp("", "meshbench-ca-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := ca.New(ca.Options{Dir: dir}); err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, f := range []string{ca.RootCertFile, ca.RootKeyFile} {
		if files[f], err = os.ReadFile(filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	cs := t.p.cs
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: deploy.CASecret}, Data: files}
	if _, err := cs.CoreV1().Secrets(t.ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create CA secret: %w", err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: deploy.RootConfigMap},
		Data: map[string]string{ca.RootCertFile: string(files[ca.RootCertFile])}}
	if _, err := cs.CoreV1().ConfigMaps(t.ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create root configmap: %w", err)
	}
	icfg.ControlPlaneRoot, icfg.ControlPlaneServerName = deploy.RootConfigMap, deploy.ServerName
	return nil
}
