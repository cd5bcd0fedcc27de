package xdsconfig

// The SDS secret names the control plane's TLS configuration refers to and
// the proxy's certificate source publishes: one definition for both sides.
const (
	SecretCert  = "default" // the workload's certificate chain and key
	SecretRoots = "ROOTCA"  // the mesh's trust bundle
)

// The xDS type URLs the proxy subscribes to (the values of go-control-plane's
// pkg/resource/v3 constants, which the control plane uses: a test checks
// they agree). Defined here so the proxy does not link that package, which
// pulls in the bootstrap API and everything it references.
const (
	TypeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	TypeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	TypeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	TypeEndpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	TypeSecret   = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
)
