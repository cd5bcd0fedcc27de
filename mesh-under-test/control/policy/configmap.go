package policy

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// DefaultKey is the ConfigMap key holding the mesh document.
const DefaultKey = "mesh.yaml"

// ConfigMap is a registry.Source reading one ConfigMap. An invalid
// document is logged and ignored, keeping the last good one.
type ConfigMap struct {
	Client        kubernetes.Interface
	Namespace     string
	ConfigMapName string
	Key           string // default DefaultKey
	Logger        *slog.Logger

	mu   sync.RWMutex
	mesh *meshconfig.Mesh
}

var _ registry.Source = (*ConfigMap)(nil)

// Name implements registry.Source.
func (c *ConfigMap) Name() string {
	return fmt.Sprintf("configmap:%s/%s", c.Namespace, c.ConfigMapName)
}

// Snapshot implements registry.Source: services come from other sources,
// so only proxies, policy and the trust domain are reported.
func (c *ConfigMap) Snapshot() registry.Snapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.mesh == nil {
		return registry.Snapshot{}
	}
	pol := c.mesh.Policy
	return registry.Snapshot{Proxies: c.mesh.Proxies, Policy: &pol, Revision: c.mesh.Revision, TrustDomain: c.mesh.TrustDomain, Credentials: c.mesh.Credentials}
}

// Run implements registry.Source.
func (c *ConfigMap) Run(ctx context.Context, changed func()) error {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Key == "" {
		c.Key = DefaultKey
	}
	f := informers.NewSharedInformerFactoryWithOptions(c.Client, 10*time.Minute, informers.WithNamespace(c.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", c.ConfigMapName).String()
		}))
	inf := f.Core().V1().ConfigMaps().Informer()
	update := func(obj any) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok || cm.Name != c.ConfigMapName {
			return
		}
		if c.load(cm) {
			changed()
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    update,
		UpdateFunc: func(_, obj any) { update(obj) },
		DeleteFunc: func(any) {
			c.mu.Lock()
			c.mesh = nil
			c.mu.Unlock()
			changed()
		},
	}); err != nil {
		return fmt.Errorf("policy configmap: %w", err)
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	<-ctx.Done()
	return ctx.Err()
}

func (c *ConfigMap) load(cm *corev1.ConfigMap) bool {
	doc, ok := cm.Data[c.Key]
	if !ok {
		c.Logger.Warn("policy configmap has no mesh document", "configmap", c.Name(), "key", c.Key)
		return false
	}
	m, err := meshconfig.ParseExternal(fmt.Sprintf("configmap %s/%s key %s", cm.Namespace, cm.Name, c.Key), []byte(doc))
	if err != nil {
		c.Logger.Warn("policy rejected, keeping the previous version", "error", err)
		return false
	}
	c.mu.Lock()
	c.mesh = m
	c.mu.Unlock()
	return true
}
