// Package deploy holds the mesh's Kubernetes manifests (meshcontrol with its
// ServiceAccount, RBAC and Service) and renders them for a namespace and a
// pinned image. Sidecars are added to workloads by the harness's injector
// (`meshbench inject`); the mesh's policy stays in the control plane's mesh
// file until it has CRDs.
package deploy

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed meshcontrol.yaml
var meshcontrol string

// Meshcontrol renders meshcontrol's manifests for namespace and image.
func Meshcontrol(namespace, image string) (string, error) {
	if namespace == "" || image == "" {
		return "", fmt.Errorf("deploy: namespace and image are required")
	}
	r := strings.NewReplacer("${NAMESPACE}", namespace, "${IMAGE}", image)
	return r.Replace(meshcontrol), nil
}
