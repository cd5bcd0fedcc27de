package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// moduleDir downloads module@version through the Go module proxy (the
// ordinary `go mod download`, verified against the checksum database) and
// returns its directory in the module cache.
func moduleDir(module, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Stderr = os.Stderr
	// Outside any module: the download must not touch a go.mod.
	cmd.Dir = os.TempDir()
	var out bytes.Buffer
	cmd.Stdout = &out
	runErr := cmd.Run()
	var res struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &res); err != nil && runErr != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, runErr)
	}
	if res.Error != "" || res.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s (without the module proxy, pass a source tree at that version with -istio-src / -linkerd-src)", module, version, res.Error)
	}
	return res.Dir, nil
}
