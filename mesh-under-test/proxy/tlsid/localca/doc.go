// Package localca is a self-signed certificate authority for the places that
// have no control plane to ask: the local platform's reference-proxy lanes and
// the mesh on static flags (so every lane's TLS uses the same kind of
// material as meshcontrol's CA issues), and tests. It is production code on
// purpose: the harness must not depend on a test helper.
package localca
