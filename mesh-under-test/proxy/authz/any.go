package authz

import matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

// matcherPrefixAny matches any non-empty principal (authenticated: {}).
var matcherPrefixAny = matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: ""}}
