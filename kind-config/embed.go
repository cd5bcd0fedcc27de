package kindconfig

import (
	"embed"
	"fmt"
	"os"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names of the embedded configurations.
const (
	OneNode    = "one-node"
	ThreeNodes = "three-nodes"
)

// Load returns the configuration named nameOrPath: an embedded one by name
// (one-node, three-nodes), else the file at that path.
func Load(nameOrPath string) ([]byte, error) {
	if nameOrPath == "" {
		nameOrPath = OneNode
	}
	if !strings.ContainsAny(nameOrPath, "/.") {
		b, err := files.ReadFile(nameOrPath + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("kind config %q: not one of %s, %s", nameOrPath, OneNode, ThreeNodes)
		}
		return b, nil
	}
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("kind config: %w", err)
	}
	return b, nil
}
