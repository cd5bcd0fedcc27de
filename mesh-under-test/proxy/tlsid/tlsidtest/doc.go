// Package tlsidtest issues SPIFFE workload certificates from a throwaway
// CA, for tests of the proxy and its users. It is not a production CA.
package tlsidtest
