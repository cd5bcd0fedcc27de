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

// ADS and the CA over TLS: the Secret CASecret holds the CA root
// (ca.RootCertFile and ca.RootKeyFile, meshcontrol --ca-dir), the ConfigMap
// RootConfigMap its certificate alone (key ca.RootCertFile), which the
// sidecars verify meshcontrol with (meshproxy --xds-ca). They dial the
// Service's address and check the name ServerName
// (--xds-server-name), which meshcontrol's serving certificate carries.
const (
	CASecret      = "meshcontrol-ca"
	RootConfigMap = "meshcontrol-root"
	ServerName    = "meshcontrol"
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
