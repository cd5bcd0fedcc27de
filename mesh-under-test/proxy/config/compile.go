package config

import (
	"errors"
	"fmt"
	"sync"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Compiler turns resources into snapshots. It keeps state that must outlive
// one snapshot: endpoints (pools, health) and TLS stores (for rotation).
// Compile must not be called concurrently with itself.
type Compiler struct {
	Endpoints *upstream.Registry

	mu     sync.Mutex
	stores map[string]*tlsid.Store // keyed by cert secret + "|" + CA secret
}

// NewCompiler returns a compiler with empty registries.
func NewCompiler() *Compiler {
	return &Compiler{Endpoints: upstream.NewRegistry(), stores: map[string]*tlsid.Store{}}
}

// ErrInvalid wraps every rejection, so callers can tell a bad config from
// an internal failure.
var ErrInvalid = errors.New("invalid configuration")

type validator interface{ ValidateAll() error }

func validate(kind, name string, v validator) error {
	if err := v.ValidateAll(); err != nil {
		return fmt.Errorf("%w: %s %q: %w", ErrInvalid, kind, name, err)
	}
	return nil
}

// compileCtx carries one compilation's lookups.
type compileCtx struct {
	c       *Compiler
	res     xdsconfig.Resources
	snap    *Snapshot
	secrets map[string]*secret
}

// Compile validates and compiles r. On error nothing observable changes.
func (c *Compiler) Compile(r xdsconfig.Resources) (*Snapshot, error) {
	cc := &compileCtx{c: c, res: r, secrets: map[string]*secret{}, snap: &Snapshot{
		Version: r.Version, Resources: r, endpoints: map[*upstream.Endpoint]bool{},
		secrets: map[*tlsid.Store]*tlsid.Bundle{}}}
	for _, s := range r.Secrets {
		if err := validate("secret", s.GetName(), s); err != nil {
			return nil, err
		}
		if _, dup := cc.secrets[s.GetName()]; dup {
			return nil, fmt.Errorf("%w: secret %q defined twice", ErrInvalid, s.GetName())
		}
		sec, err := compileSecret(s)
		if err != nil {
			return nil, err
		}
		cc.secrets[s.GetName()] = sec
	}
	clusters, err := cc.compileClusters()
	if err != nil {
		return nil, err
	}
	cc.snap.Clusters = clusters
	seenAddr := map[string]string{}
	seenName := map[string]bool{}
	for _, l := range r.Listeners {
		if err := validate("listener", l.GetName(), l); err != nil {
			return nil, err
		}
		cl, err := cc.compileListener(l)
		if err != nil {
			return nil, fmt.Errorf("%w: listener %q: %w", ErrInvalid, l.GetName(), err)
		}
		if seenName[cl.Name] {
			return nil, fmt.Errorf("%w: listener %q defined twice", ErrInvalid, cl.Name)
		}
		if other, dup := seenAddr[cl.Address]; dup {
			return nil, fmt.Errorf("%w: listeners %q and %q both bind %s", ErrInvalid, other, cl.Name, cl.Address)
		}
		seenName[cl.Name], seenAddr[cl.Address] = true, cl.Name
		cc.snap.Listeners = append(cc.snap.Listeners, cl)
	}
	return cc.snap, nil
}

// store returns the shared TLS store for a cert/CA secret pair and records
// the bundle to publish on commit.
func (cc *compileCtx) store(certName, caName string) (*tlsid.Store, error) {
	var b tlsid.Bundle
	if certName != "" {
		s := cc.secrets[certName]
		if s == nil || s.cert == nil {
			return nil, fmt.Errorf("unknown TLS certificate secret %q", certName)
		}
		b.Cert = s.cert
	}
	if caName != "" {
		s := cc.secrets[caName]
		if s == nil || s.roots == nil {
			return nil, fmt.Errorf("unknown validation context secret %q", caName)
		}
		b.Roots = s.roots
	}
	key := certName + "|" + caName
	cc.c.mu.Lock()
	st := cc.c.stores[key]
	if st == nil {
		st = &tlsid.Store{}
		cc.c.stores[key] = st
	}
	cc.c.mu.Unlock()
	cc.snap.secrets[st] = &b
	return st, nil
}
