package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/peers"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	out := fs.String("o", "bin/peers", "directory the manifests are written to (istio.yaml, linkerd.yaml)")
	istioSrc := fs.String("istio-src", "", "an Istio source tree at "+peers.IstioModuleVersion+" (default: the module, via go mod download)")
	linkerdSrc := fs.String("linkerd-src", "", "a Linkerd source tree at "+peers.LinkerdVersion+" (default: the module, via go mod download)")
	only := fs.String("only", "", "generate one peer only (istio | linkerd)")
	force := fs.Bool("force", false, "regenerate even when a manifest at the pinned version exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	gens := []struct {
		peer peers.Peer
		src  string
		gen  func(src string) ([]byte, error)
	}{
		{peers.Istio(), *istioSrc, renderIstio},
		{peers.Linkerd(), *linkerdSrc, renderLinkerd},
	}
	var errs []error
	for _, g := range gens {
		if *only != "" && *only != g.peer.Name {
			continue
		}
		if !*force {
			if _, err := peers.Load(*out, g.peer); err == nil {
				fmt.Printf("%s: %s is current (pinned %s)\n", g.peer.Name, filepath.Join(*out, g.peer.File()), g.peer.Version)
				continue
			}
		}
		if err := generate(*out, g.peer, g.src, g.gen); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", g.peer.Name, err))
		}
	}
	return errors.Join(errs...)
}

// generate renders one peer, checks it as the platforms will, and writes it
// atomically (a failed run leaves the previous manifest, or none).
func generate(dir string, p peers.Peer, src string, gen func(string) ([]byte, error)) error {
	if src == "" {
		var err error
		if src, err = moduleDir(p.Module, p.Version); err != nil {
			return err
		}
	}
	body, err := gen(src)
	if err != nil {
		return err
	}
	data := append([]byte(p.Stamp()+"\n"), body...)
	m, err := peers.Parse(data, p)
	path := filepath.Join(dir, p.File())
	if err != nil {
		// Kept for reading, under a name no platform loads.
		_ = os.WriteFile(path+".rejected", data, 0o600)
		return fmt.Errorf("generated manifest fails its check (kept as %s.rejected): %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil { // 0600: Linkerd's holds its issuer key
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	fmt.Printf("%s: wrote %s (%d objects; images %v)\n", p.Name, path, len(m.Objects), m.Images)
	return nil
}
