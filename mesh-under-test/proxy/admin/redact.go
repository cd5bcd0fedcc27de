package admin

import (
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Redacted replaces every secret value in a dump.
const Redacted = "[redacted]"

// secretFields are JSON names (protojson's lowerCamel and the proto names)
// whose whole value is secret wherever they appear: a TlsCertificate's
// private_key and password DataSources, a GenericSecret's secret, session
// ticket keys. Transport sockets carry their TLS contexts as Any, which
// protojson renders inline, so walking the JSON reaches them in listeners,
// clusters and secrets alike.
var secretFields = map[string]bool{
	"privateKey": true, "private_key": true,
	"password":      true,
	"genericSecret": true, "generic_secret": true,
	"sessionTicketKeys": true, "session_ticket_keys": true,
}

// marshalRedacted renders m as protojson with every secret replaced by
// Redacted.
func marshalRedacted(m proto.Message) (json.RawMessage, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("config_dump: marshal %T: %w", m, err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("config_dump: re-read %T: %w", m, err)
	}
	return json.Marshal(redact(v))
}

// redact walks a decoded JSON value. Besides the named fields, any string
// holding a PEM private key block is replaced: a key inlined somewhere
// unexpected (a header value, an unknown extension) must not leak either.
func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if secretFields[k] {
				t[k] = Redacted
				continue
			}
			t[k] = redact(e)
		}
	case []any:
		for i, e := range t {
			t[i] = redact(e)
		}
	case string:
		if strings.Contains(t, "PRIVATE KEY") {
			return Redacted
		}
	}
	return v
}
