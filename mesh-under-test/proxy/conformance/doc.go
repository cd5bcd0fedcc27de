// Package conformance holds the proxy's HTTP/1.1 conformance suite: one
// table of cases, each raw bytes a client sends, what the upstream must
// receive and what the client must get, run over real sockets against a
// real proxy listener and a recording upstream (conformance_test.go). The
// table is also the conformance table of docs/security.md; a test checks
// that the two agree (regenerate with CONFORMANCE_UPDATE=1).
//
// The package has no non-test code: it exists so the suite is one place,
// apart from the unit tests of the parser (proxy/http1) and the data path
// (proxy/dataplane).
package conformance
