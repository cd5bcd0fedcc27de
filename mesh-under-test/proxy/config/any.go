package config

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// unpack decodes a typed config and runs its PGV validation (the rules
// Envoy enforces on the same message), so invalid config is NACKed with
// the rule that failed instead of reaching the data path.
func unpack[T any, PT interface {
	*T
	proto.Message
	validator
}](a *anypb.Any) (PT, error) {
	var m PT = new(T)
	if a == nil {
		return nil, fmt.Errorf("missing typed_config (want %s)", m.ProtoReflect().Descriptor().FullName())
	}
	if err := a.UnmarshalTo(m); err != nil {
		return nil, fmt.Errorf("typed_config %s: %w", a.GetTypeUrl(), err)
	}
	if err := m.ValidateAll(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, m.ProtoReflect().Descriptor().FullName(), err)
	}
	return m, nil
}
