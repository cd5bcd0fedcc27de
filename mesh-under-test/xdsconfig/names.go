package xdsconfig

// The SDS secret names the control plane's TLS configuration refers to and
// the proxy's certificate source publishes: one definition for both sides.
const (
	SecretCert  = "default" // the workload's certificate chain and key
	SecretRoots = "ROOTCA"  // the mesh's trust bundle
)
