package cluster

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCNIConflist(t *testing.T) {
	var conf struct {
		Plugins []struct {
			Type string `json:"type"`
			IPAM struct {
				Ranges [][]struct {
					Subnet string `json:"subnet"`
				} `json:"ranges"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	require.NoError(t, json.Unmarshal([]byte(cniConflist("10.244.1.0/24")), &conf))
	require.Len(t, conf.Plugins, 2)
	assert.Equal(t, "bridge", conf.Plugins[0].Type)
	assert.Equal(t, "10.244.1.0/24", conf.Plugins[0].IPAM.Ranges[0][0].Subnet)
	assert.Equal(t, "portmap", conf.Plugins[1].Type)
}

func TestCNIScript(t *testing.T) {
	all := []nodeNet{
		{name: "cp", ip: "172.30.0.2", podCIDR: "10.244.0.0/24"},
		{name: "w1", ip: "172.30.0.3", podCIDR: "10.244.1.0/24"},
		{name: "w2", ip: "172.30.0.4", podCIDR: "10.244.2.0/24"},
	}
	tests := []struct {
		self       nodeNet
		wantRoutes []string
	}{
		{all[0], []string{"ip route replace 10.244.1.0/24 via 172.30.0.3", "ip route replace 10.244.2.0/24 via 172.30.0.4"}},
		{all[2], []string{"ip route replace 10.244.0.0/24 via 172.30.0.2", "ip route replace 10.244.1.0/24 via 172.30.0.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.self.name, func(t *testing.T) {
			s := cniScript(tt.self, all)
			assert.Contains(t, s, "cat > "+cniConfPath+".tmp")
			var routes []string
			for _, l := range strings.Split(s, "\n") {
				if strings.HasPrefix(l, "ip route") {
					routes = append(routes, l)
				}
			}
			assert.Equal(t, tt.wantRoutes, routes)
			assert.NotContains(t, s, "via "+tt.self.ip, "no route to itself")
		})
	}
	assert.NotContains(t, cniScript(all[0], all[:1]), "ip route", "one node: no routes")
}

func TestImageRefIsPinnedByContent(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, os.WriteFile(a, []byte("one"), 0o755))
	require.NoError(t, os.WriteFile(b, []byte("two"), 0o755))
	ra, err := ImageRef("meshproxy", a)
	require.NoError(t, err)
	rb, err := ImageRef("meshproxy", b)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(ra, ImageRepo+"meshproxy:"))
	assert.Len(t, strings.TrimPrefix(ra, ImageRepo+"meshproxy:"), 12)
	assert.NotEqual(t, ra, rb, "a different build gets a different tag")
	assert.NotContains(t, ra, "latest")
	_, err = ImageRef("x", filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func TestScratchTar(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "meshproxy")
	require.NoError(t, os.WriteFile(bin, []byte("\x7fELF..."), 0o755))
	var buf bytes.Buffer
	require.NoError(t, scratchTar(&buf, "meshproxy", bin))
	tr := tar.NewReader(&buf)
	got := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got[h.Name] = h.Mode
	}
	assert.Equal(t, int64(0o755), got["usr/local/bin/meshproxy"])
	assert.Equal(t, int64(0o1777), got["tmp/"])
	assert.Contains(t, got, "etc/passwd")
}

func TestCheckStatic(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755))
	assert.Error(t, CheckStatic(notELF))
	if _, err := os.Stat("/bin/sh"); err == nil {
		err := CheckStatic("/bin/sh")
		require.Error(t, err, "/bin/sh is dynamically linked on every distribution this runs on")
		assert.Contains(t, err.Error(), "CGO_ENABLED=0")
	}
}
