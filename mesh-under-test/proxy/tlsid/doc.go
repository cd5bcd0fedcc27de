// Package tlsid is the proxy's workload identity: SPIFFE IDs
// (spiffe://<trust-domain>/ns/<ns>/sa/<sa>), a Store holding the current
// certificate and trust bundle behind an atomic pointer, and tls.Configs
// that read the Store on every handshake, so a rotated certificate takes
// effect for new connections without dropping existing ones.
package tlsid
