package server

import (
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"
)

// baker encodes each translated resource once, however many proxies
// receive it. go-control-plane marshals every resource of every response
// anew; with a thousand-host route table pushed to a hundred proxies that
// was a third of meshcontrol's CPU. A baked resource is an empty message
// whose unknown fields hold the encoded resource: marshaling it copies the
// bytes, and the cache sets the real type URL on the wire from the
// request, so proxies receive exactly the original encoding.
//
// Resources are keyed by pointer: translation reuses the values of
// unchanged services, so their encodings survive across updates. Not safe
// for concurrent use (Server.Update holds its lock).
type baker struct {
	cur, prev map[proto.Message]types.Resource
}

func newBaker() *baker {
	return &baker{cur: map[proto.Message]types.Resource{}, prev: map[proto.Message]types.Resource{}}
}

func (b *baker) bake(m proto.Message) types.Resource {
	if r, ok := b.cur[m]; ok {
		return r
	}
	if r, ok := b.prev[m]; ok {
		b.cur[m] = r
		return r
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return m // let the cache marshal it (and report the error)
	}
	e := &emptypb.Empty{}
	e.ProtoReflect().SetUnknown(protoreflect.RawFields(raw))
	b.cur[m] = e
	return e
}

// sweep forgets encodings not used since the previous sweep.
func (b *baker) sweep() {
	b.prev, b.cur = b.cur, make(map[proto.Message]types.Resource, len(b.cur))
}
