package authz

import (
	"fmt"
	"sort"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

// node is one compiled permission or principal rule.
type node struct {
	op       op
	children []node
	header   *match.Header
	str      *match.String // url_path (on Path without query) or principal name
}

type op uint8

const (
	opAny op = iota
	opAnd
	opOr
	opNot
	opHeader
	opPath
	opPrincipal
)

func (n *node) eval(a *match.Attrs) bool {
	switch n.op {
	case opAny:
		return true
	case opAnd:
		for i := range n.children {
			if !n.children[i].eval(a) {
				return false
			}
		}
		return true
	case opOr:
		for i := range n.children {
			if n.children[i].eval(a) {
				return true
			}
		}
		return false
	case opNot:
		return !n.children[0].eval(a)
	case opHeader:
		return n.header.Match(a)
	case opPath:
		p := a.Path
		for i, c := range p {
			if c == '?' {
				p = p[:i]
				break
			}
		}
		return n.str.Match(p)
	case opPrincipal:
		return a.Principal != "" && n.str.MatchString(a.Principal)
	}
	return false
}

type policy struct {
	name                    string
	permissions, principals node
}

// Policy is a compiled RBAC rule set. A nil *Policy allows everything.
type Policy struct {
	deny     bool
	policies []policy
}

// Compile compiles the RBAC filter config. A filter without rules allows
// everything (as in Envoy).
func Compile(f *rbacfilter.RBAC) (*Policy, error) {
	r := f.GetRules()
	if r == nil {
		return nil, nil
	}
	p := &Policy{}
	switch r.GetAction() {
	case rbacv3.RBAC_ALLOW:
	case rbacv3.RBAC_DENY:
		p.deny = true
	default:
		return nil, fmt.Errorf("rbac action %v: %w", r.GetAction(), match.ErrUnsupported)
	}
	names := make([]string, 0, len(r.GetPolicies()))
	for name := range r.GetPolicies() {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic evaluation order
	for _, name := range names {
		pol := r.GetPolicies()[name]
		if pol.GetCondition() != nil || pol.GetCheckedCondition() != nil {
			// Ignoring a condition would widen an ALLOW rule or narrow a DENY.
			return nil, fmt.Errorf("rbac policy %q condition: %w", name, match.ErrUnsupported)
		}
		perms := node{op: opOr}
		for _, pm := range pol.GetPermissions() {
			n, err := compilePermission(pm)
			if err != nil {
				return nil, fmt.Errorf("rbac policy %q: %w", name, err)
			}
			perms.children = append(perms.children, n)
		}
		prins := node{op: opOr}
		for _, pr := range pol.GetPrincipals() {
			n, err := compilePrincipal(pr)
			if err != nil {
				return nil, fmt.Errorf("rbac policy %q: %w", name, err)
			}
			prins.children = append(prins.children, n)
		}
		p.policies = append(p.policies, policy{name: name, permissions: perms, principals: prins})
	}
	return p, nil
}

// Allowed decides the request, returning the matched policy name (for logs).
func (p *Policy) Allowed(a *match.Attrs) (bool, string) {
	if p == nil {
		return true, ""
	}
	for i := range p.policies {
		pol := &p.policies[i]
		if pol.permissions.eval(a) && pol.principals.eval(a) {
			return !p.deny, pol.name
		}
	}
	return p.deny, ""
}

func compilePermission(pm *rbacv3.Permission) (node, error) {
	switch r := pm.GetRule().(type) {
	case *rbacv3.Permission_Any:
		return node{op: opAny}, nil
	case *rbacv3.Permission_AndRules:
		return compilePermSet(opAnd, r.AndRules.GetRules())
	case *rbacv3.Permission_OrRules:
		return compilePermSet(opOr, r.OrRules.GetRules())
	case *rbacv3.Permission_NotRule:
		c, err := compilePermission(r.NotRule)
		return node{op: opNot, children: []node{c}}, err
	case *rbacv3.Permission_Header:
		h, err := match.CompileHeader(r.Header)
		return node{op: opHeader, header: &h}, err
	case *rbacv3.Permission_UrlPath:
		s, err := match.CompileString(r.UrlPath.GetPath())
		return node{op: opPath, str: &s}, err
	default:
		return node{}, fmt.Errorf("permission %T: %w", r, match.ErrUnsupported)
	}
}

func compilePermSet(o op, rules []*rbacv3.Permission) (node, error) {
	n := node{op: o}
	for _, r := range rules {
		c, err := compilePermission(r)
		if err != nil {
			return n, err
		}
		n.children = append(n.children, c)
	}
	return n, nil
}

func compilePrincipal(pr *rbacv3.Principal) (node, error) {
	switch r := pr.GetIdentifier().(type) {
	case *rbacv3.Principal_Any:
		return node{op: opAny}, nil
	case *rbacv3.Principal_AndIds:
		return compilePrinSet(opAnd, r.AndIds.GetIds())
	case *rbacv3.Principal_OrIds:
		return compilePrinSet(opOr, r.OrIds.GetIds())
	case *rbacv3.Principal_NotId:
		c, err := compilePrincipal(r.NotId)
		return node{op: opNot, children: []node{c}}, err
	case *rbacv3.Principal_Authenticated_:
		if r.Authenticated.GetPrincipalName() == nil { // any authenticated peer
			s, _ := match.CompileString(&matcherPrefixAny)
			return node{op: opPrincipal, str: &s}, nil
		}
		s, err := match.CompileString(r.Authenticated.GetPrincipalName())
		return node{op: opPrincipal, str: &s}, err
	case *rbacv3.Principal_Header:
		h, err := match.CompileHeader(r.Header)
		return node{op: opHeader, header: &h}, err
	case *rbacv3.Principal_UrlPath:
		s, err := match.CompileString(r.UrlPath.GetPath())
		return node{op: opPath, str: &s}, err
	default:
		return node{}, fmt.Errorf("principal %T: %w", r, match.ErrUnsupported)
	}
}

func compilePrinSet(o op, ids []*rbacv3.Principal) (node, error) {
	n := node{op: o}
	for _, id := range ids {
		c, err := compilePrincipal(id)
		if err != nil {
			return n, err
		}
		n.children = append(n.children, c)
	}
	return n, nil
}
