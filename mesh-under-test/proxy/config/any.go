package config

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// unpack decodes a typed_config into a fresh message of type T.
func unpack[T any, PT interface {
	*T
	proto.Message
}](a *anypb.Any) (PT, error) {
	var m PT = new(T)
	if a == nil {
		return nil, fmt.Errorf("missing typed_config (want %s)", m.ProtoReflect().Descriptor().FullName())
	}
	if err := a.UnmarshalTo(m); err != nil {
		return nil, fmt.Errorf("typed_config %s: %w", a.GetTypeUrl(), err)
	}
	return m, nil
}
