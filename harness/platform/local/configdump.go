package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/meshbench/meshbench/internal/await"
)

// What a graceful restart reads from a meshproxy's admin /config_dump to
// know that meshcontrol's push has arrived, instead of sleeping: the
// addresses of its listeners and the health of each endpoint. The dump is
// protojson (the proxy's admin.Dump), read here as plain JSON so that the
// harness needs no registry of the filters' typed configurations.

// proxyDump is the part of a /config_dump the restart reads.
type proxyDump struct {
	Version   string `json:"version"`
	Listeners []struct {
		Address dumpAddress `json:"address"`
	} `json:"listeners"`
	Endpoints []struct {
		ClusterName string `json:"clusterName"`
		Endpoints   []struct {
			LbEndpoints []struct {
				Endpoint struct {
					Address dumpAddress `json:"address"`
				} `json:"endpoint"`
				HealthStatus string `json:"healthStatus"`
			} `json:"lbEndpoints"`
		} `json:"endpoints"`
	} `json:"endpoints"`
}

type dumpAddress struct {
	SocketAddress struct {
		Address   string `json:"address"`
		PortValue uint32 `json:"portValue"`
	} `json:"socketAddress"`
}

func (a dumpAddress) String() string {
	return net.JoinHostPort(a.SocketAddress.Address, strconv.Itoa(int(a.SocketAddress.PortValue)))
}

// listens reports whether the proxy has a listener on addr.
func (d *proxyDump) listens(addr string) bool {
	for _, l := range d.Listeners {
		if l.Address.String() == addr {
			return true
		}
	}
	return false
}

// endpoint is the EDS health of addr in any of the proxy's clusters
// ("HEALTHY", "DRAINING", ...; "UNKNOWN" when unset), and whether the
// proxy has it at all.
func (d *proxyDump) endpoint(addr string) (string, bool) {
	for _, cla := range d.Endpoints {
		for _, le := range cla.Endpoints {
			for _, lb := range le.LbEndpoints {
				if lb.Endpoint.Address.String() == addr {
					if lb.HealthStatus == "" {
						return "UNKNOWN", true
					}
					return lb.HealthStatus, true
				}
			}
		}
	}
	return "", false
}

// readDump fetches a proxy's configuration from its admin listener.
func readDump(ctx context.Context, admin string) (*proxyDump, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/config_dump", nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("config_dump: %s", resp.Status)
	}
	var d proxyDump
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("config_dump: %w", err)
	}
	return &d, nil
}

// waitDump polls a proxy's configuration every 10 ms until ok holds, for
// at most timeout; it returns how long that took. what names the wait in
// errors.
func waitDump(ctx context.Context, admin, what string, timeout time.Duration, ok func(*proxyDump) bool) (time.Duration, error) {
	start := time.Now()
	err := await.Until(ctx, what+" in the /config_dump at "+admin, 10*time.Millisecond, timeout, func(ctx context.Context) (bool, string, error) {
		d, err := readDump(ctx, admin)
		switch {
		case err != nil:
			return false, err.Error(), nil
		case ok(d):
			return true, "", nil
		}
		return false, "configuration version " + d.Version + " does not have it yet", nil
	})
	if err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
