// Package router is the compiled route table of one HTTP listener: virtual
// hosts found by authority (exact, *.suffix, prefix.*, then *), routes
// matched in order by path (prefix, exact, path-separated prefix) and
// headers, and each route's action: weighted clusters, timeout, retry
// policy, header edits and per-route filter settings (fault, local rate
// limit, RBAC).
//
// A Table is immutable after compilation and safe for concurrent use;
// Match does not allocate.
package router
