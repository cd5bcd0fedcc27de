// Package filter is the proxy's HTTP filter table and admission step: the
// filters an http_connection_manager may list before the router (RBAC,
// local rate limit, fault), how each one's configuration is compiled at
// every level Envoy reads it (the HCM, the route configuration, the virtual
// host, the route, the weighted cluster), which level wins (the most
// specific), and path normalisation. HTTP/1.1 and HTTP/2 serve requests
// through the same compiled List, so a filter is added in one place.
//
// Everything here is compiled once per configuration and immutable after;
// List.Admit is safe for concurrent use (token buckets lock internally).
package filter
