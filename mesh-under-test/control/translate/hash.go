package translate

import (
	"hash/fnv"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
)

// Type URLs of the resources a proxy receives.
const (
	TypeListener = resource.ListenerType
	TypeRoute    = resource.RouteType
	TypeCluster  = resource.ClusterType
	TypeEndpoint = resource.EndpointType
	TypeSecret   = resource.SecretType
)

// hashProto hashes the deterministic encoding of m.
func hashProto(m proto.Message) uint64 {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		// Every message here is built by this package from valid Go values;
		// a marshal failure is a programming error worth surfacing loudly.
		panic("translate: marshal " + string(m.ProtoReflect().Descriptor().FullName()) + ": " + err.Error())
	}
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// hasher combines an ordered list of hashes.
type hasher struct{ h uint64 }

func (x *hasher) add(v uint64) {
	if x.h == 0 {
		x.h = 14695981039346656037
	}
	x.h ^= v
	x.h *= 1099511628211
	x.h ^= x.h >> 29
}

func (x *hasher) sum() uint64 { return x.h }
