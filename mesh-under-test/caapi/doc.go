// Package caapi is the wire contract between meshcontrol's CA (the server,
// control/ca) and the proxy's certificate rotator (the client,
// proxy/certrotate): the gRPC service and method names, the JSON codec, the
// messages, and the client call (over grpcwire: the proxy links no grpc-go).
//
// Why its own package: the proxy must not link the control plane to ask for
// a certificate (meshproxy used to import control/ca and, through it, the
// translator), and the two sides must agree on one definition.
package caapi
