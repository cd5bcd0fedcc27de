package micro

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}
