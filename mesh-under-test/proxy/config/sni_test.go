package config

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

func TestChainForSNI(t *testing.T) {
	exact := &Chain{Name: "exact", TLS: &tls.Config{}, ServerNames: []string{"a.example.com"}}
	wide := &Chain{Name: "wide", TLS: &tls.Config{}, ServerNames: []string{"*.example.com"}}
	narrow := &Chain{Name: "narrow", TLS: &tls.Config{}, ServerNames: []string{"*.b.example.com"}}
	plain := &Chain{Name: "plain"}
	withDefault := &Listener{Chains: []*Chain{plain, wide, exact, narrow, {Name: "default", TLS: &tls.Config{}}}}
	without := &Listener{Chains: []*Chain{plain, exact, wide, narrow}}
	tests := []struct {
		sni    string
		l      *Listener
		want   string // "" : no chain
		reason string
	}{
		{"a.example.com", without, "exact", "an exact name beats a wildcard listed before it"},
		{"A.Example.COM", without, "exact", "names compare case-insensitively"},
		{"x.example.com", without, "wide", "wildcard"},
		{"x.b.example.com", without, "narrow", "the longest wildcard wins"},
		{"example.com", without, "", "*.example.com does not cover example.com"},
		{"other.org", without, "", "no server names it and no default TLS chain"},
		{"", without, "", "no SNI, no default"},
		{"other.org", withDefault, "default", "a TLS chain without server_names takes the rest"},
		{"x.example.com", withDefault, "wide", "named chains first"},
	}
	for _, tt := range tests {
		t.Run(tt.sni+"/"+tt.want, func(t *testing.T) {
			got := tt.l.ChainForSNI(tt.sni)
			if tt.want == "" {
				assert.Nil(t, got, tt.reason)
				return
			}
			require.NotNil(t, got, tt.reason)
			assert.Equal(t, tt.want, got.Name, tt.reason)
		})
	}
	assert.NotNil(t, without.sniConfig(), "named chains: one TLS config picks by SNI")
	assert.Nil(t, (&Listener{Chains: []*Chain{{TLS: &tls.Config{}}}}).sniConfig(), "no names: the chain's own config")
}

func TestCompileServerNames(t *testing.T) {
	got, err := compileServerNames([]string{"A.example.com", "*.b.example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a.example.com", "*.b.example.com"}, got)
	for _, bad := range []string{"", "a.*.com", "*", "**.x.com", "api.*"} {
		_, err := compileServerNames([]string{bad})
		assert.ErrorIs(t, err, match.ErrUnsupported, bad)
	}
}
