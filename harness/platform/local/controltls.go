package local

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// controlTLS reports whether the meshcontrol binary serves ADS and its CA
// over TLS (its --help lists --tls). A gate runs every side's binaries on
// this platform, and a base built before meshcontrol had --tls would exit
// on the flag: such a meshcontrol runs as that base's own harness ran it
// (plaintext ADS, a CA token only for mTLS), so a gate against it measures
// the same data path. Asked once per binary path.
func (p *Platform) controlTLS(ctx context.Context) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.tlsByBin[p.bins.Meshcontrol]; ok {
		return v
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The flag package prints the usage to stderr (exit 0 since --help
	// became a success, 2 before): read the output whatever the status.
	out, _ := exec.CommandContext(ctx, p.bins.Meshcontrol, "--help").CombinedOutput()
	v := strings.Contains(string(out), "\n  -tls\n")
	if p.tlsByBin == nil {
		p.tlsByBin = map[string]bool{}
	}
	p.tlsByBin[p.bins.Meshcontrol] = v
	return v
}
