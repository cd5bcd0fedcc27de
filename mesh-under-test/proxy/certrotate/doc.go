// Package certrotate is the proxy's side of the mesh CA: it asks meshcontrol's
// CA (over caapi) for a workload certificate, renews it at half its
// remaining lifetime, and publishes it as the SDS secrets the proxy's TLS
// configuration names (xdsconfig.SecretCert, xdsconfig.SecretRoots).
//
// Thread-safety: a Rotator's Secrets, Changed and Issued are safe for
// concurrent use. Lifecycle: New, then Start (blocks until the first
// certificate or ctx ends), renewals run until ctx ends.
package certrotate
