package istiocfg

import (
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"
)

// ProxyLabel is the workload label that names a simulated proxy (its
// Sidecar selects on it).
const ProxyLabel = "meshbench.io/proxy"

// NodeID is the ID an Istio sidecar presents: TYPE~IP~POD.NS~NS.svc.DOMAIN
// (istiod parses the type, IP and namespace from it).
func NodeID(proxy, ip string) string {
	return fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.%s", ip, proxy, Namespace, Namespace, DomainSuffix)
}

// NodeMetadata is the node metadata an Istio sidecar sends that istiod
// uses to build its configuration: namespace, workload labels (Sidecar
// selection), instance IPs, cluster and proxy version (feature gating).
func NodeMetadata(proxy, service, ip, istioVersion string) (*structpb.Struct, error) {
	return structpb.NewStruct(map[string]any{
		"NAMESPACE":     Namespace,
		"NAME":          proxy,
		"WORKLOAD_NAME": service,
		"INSTANCE_IPS":  ip,
		"CLUSTER_ID":    "Kubernetes",
		"ISTIO_VERSION": istioVersion,
		"LABELS":        map[string]any{"app": service, ProxyLabel: proxy},
	})
}
