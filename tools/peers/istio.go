package main

import (
	"path/filepath"

	"github.com/meshbench/meshbench/harness/peers"
)

// renderIstio renders Istio's documented Helm install (istio.io, "Install
// with Helm"): the base chart (CRDs, the default revision's validation),
// then istiod from istio-control/istio-discovery, both in istio-system,
// with the pinned images. Sidecar injection is istiod's webhook, for
// namespaces labelled istio-injection=enabled.
func renderIstio(src string) ([]byte, error) {
	p := peers.Istio()
	charts := filepath.Join(src, "manifests", "charts")
	global := map[string]any{"istioNamespace": p.Namespace, "hub": peers.IstioHub, "tag": peers.IstioTag}
	docs := []string{namespaceDoc(p.Namespace)}
	for _, r := range []release{
		{chartDir: filepath.Join(charts, "base"), name: "istio-base", ns: p.Namespace,
			values: map[string]any{"global": global, "defaultRevision": "default"}},
		{chartDir: filepath.Join(charts, "istio-control", "istio-discovery"), name: "istiod", ns: p.Namespace,
			values: map[string]any{"global": global,
				// One replica, no autoscaler: a benchmark's control plane
				// is one process whose cost is measured. The requests are
				// lowered from 500m/2Gi so it schedules on a small node.
				"autoscaleEnabled": false, "replicaCount": 1,
				"resources": map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "256Mi"}}}},
	} {
		d, err := render(r)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return join(docs), nil
}
