// Package match compiles Envoy's string and header matchers
// (type.matcher.v3.StringMatcher, config.route.v3.HeaderMatcher) into
// values that test a request's attributes without allocating. Regex
// matchers are rejected at compile time: the hot path runs no regexps.
package match
