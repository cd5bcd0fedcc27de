// Package istiocfg writes a meshbench mesh (meshconfig.Mesh) as the Istio
// configuration istiod reads from files: a meshConfig whose configSources
// name a directory (fs://DIR), and in that directory one YAML file per
// service with its ServiceEntry (the endpoints inline, resolution STATIC),
// VirtualService (routes: timeout, retries) and DestinationRule (connection
// pool, outlier detection), plus one Sidecar per proxy that has egress
// scoping. It also names the simulated proxies the way Istio's own load
// tooling does: node IDs sidecar~IP~POD.NS~NS.svc.cluster.local and the node
// metadata istiod reads (namespace, labels, version, cluster).
//
// The control-plane scenario uses it to put istiod beside meshcontrol on the
// same generated mesh. Only what that mesh uses is translated; a mesh feature
// istiocfg cannot express (a weighted split, a fault, a header match) is an
// error, never silently dropped. Writes are atomic (a temporary name istiod
// ignores, then a rename), because istiod re-reads the directory on every
// change it sees.
package istiocfg
