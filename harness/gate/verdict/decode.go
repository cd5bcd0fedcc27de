package verdict

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Decode reads a scenario's free-form `gate:` section into Thresholds,
// refusing unknown keys (a misspelt threshold must not silently fall back
// to the default), and normalizes it.
func Decode(m map[string]any) (Thresholds, error) {
	var t Thresholds
	if len(m) > 0 {
		data, err := yaml.Marshal(m)
		if err != nil {
			return t, fmt.Errorf("gate section: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&t); err != nil {
			return t, fmt.Errorf("gate section: %w", err)
		}
	}
	return t.Normalize()
}
