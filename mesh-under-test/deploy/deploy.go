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
