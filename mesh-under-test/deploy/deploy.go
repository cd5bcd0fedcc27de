package deploy

import (
	_ "embed"
	"fmt"
	"strings"
)

// The Secret meshcontrol's manifest reads the node token secret from
// (MESH_NODE_TOKEN_SECRET): whoever creates the manifest creates it, and
// hands each sidecar only its own node's token (ca.NodeToken).
const (
	TokenSecret        = "meshcontrol-token"
	NodeTokenSecretKey = "node-token-secret"
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
