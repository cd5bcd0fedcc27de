package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// droppedCap is the capability the sandbox cannot grant.
const droppedCap = "CAP_SYS_RESOURCE"

// specFiles returns the JSON files of the runc invocation: the bundle's
// config.json and the --process file, in both "--flag value" and
// "--flag=value" forms.
func specFiles(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		if !hasVal {
			if i+1 >= len(args) {
				continue
			}
			val = args[i+1]
		}
		switch name {
		case "--bundle", "-b":
			out = append(out, filepath.Join(val, "config.json"))
		case "--process", "-p":
			out = append(out, val)
		default:
			continue
		}
		if !hasVal {
			i++
		}
	}
	return out
}

// patchFile rewrites path in place when patch changed it. A missing file is
// not an error: runc reports that itself.
func patchFile(path string) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	out, changed, err := patch(data)
	if err != nil || !changed {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, fi.Mode().Perm())
}

// patch removes droppedCap from every capability list and a negative
// oomScoreAdj, from an OCI spec (whose process is under "process") or a
// bare process JSON (runc exec --process). Unknown fields are kept.
func patch(data []byte) ([]byte, bool, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, false, fmt.Errorf("parse: %w", err)
	}
	proc := doc
	if p, ok := doc["process"].(map[string]any); ok {
		proc = p
	}
	changed := false
	if caps, ok := proc["capabilities"].(map[string]any); ok {
		for set, v := range caps {
			list, ok := v.([]any)
			if !ok {
				continue
			}
			kept := list[:0:0]
			for _, c := range list {
				if c == droppedCap {
					changed = true
					continue
				}
				kept = append(kept, c)
			}
			caps[set] = kept
		}
	}
	if adj, ok := proc["oomScoreAdj"].(float64); ok && adj < 0 {
		delete(proc, "oomScoreAdj")
		changed = true
	}
	if !changed {
		return data, false, nil
	}
	out, err := json.Marshal(doc)
	return out, true, err
}
