// Package authz enforces Envoy's RBAC HTTP filter
// (envoy.extensions.filters.http.rbac.v3.RBAC): ALLOW or DENY policies whose
// permissions test path, method and headers and whose principals test the
// peer's SPIFFE identity from mTLS. Policies compile to a tree of small
// matchers evaluated without allocation.
package authz
