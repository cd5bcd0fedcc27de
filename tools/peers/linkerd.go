package main

import (
	"path/filepath"

	"github.com/meshbench/meshbench/harness/peers"
)

// renderLinkerd renders Linkerd's documented Helm install (linkerd.io,
// "Installing Linkerd with Helm"): linkerd-crds, then linkerd-control-plane
// with a trust anchor and an identity issuer generated here (what
// `linkerd install` does itself), the pinned version's images. The
// control-plane chart creates the linkerd namespace. Sidecar injection is
// the proxy injector's webhook, for namespaces annotated linkerd.io/inject.
func renderLinkerd(src string) ([]byte, error) {
	p := peers.Linkerd()
	charts := filepath.Join(src, "charts")
	partials := filepath.Join(charts, "partials")
	id, err := newIdentity()
	if err != nil {
		return nil, err
	}
	var docs []string
	for _, r := range []release{
		{chartDir: filepath.Join(charts, "linkerd-crds"), deps: []string{partials}, name: "linkerd-crds", ns: p.Namespace,
			values: map[string]any{}},
		{chartDir: filepath.Join(charts, "linkerd-control-plane"), deps: []string{partials}, name: "linkerd-control-plane", ns: p.Namespace, service: "CLI",
			values: map[string]any{
				"linkerdVersion":          peers.LinkerdVersion,
				"identityTrustAnchorsPEM": id.anchorPEM,
				"identity":                map[string]any{"issuer": map[string]any{"tls": map[string]any{"crtPEM": id.issuerPEM, "keyPEM": id.issuerKeyPEM}}},
			}},
	} {
		d, err := render(r)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return join(docs), nil
}
