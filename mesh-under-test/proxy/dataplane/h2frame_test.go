package dataplane

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// TestH2AdvertisesSmallFrames: both h2 paths announce a 16 KB
// SETTINGS_MAX_FRAME_SIZE (the protocol default; x/net/http2's server would
// say 1 MB), so a peer's Go transport copies request bodies of unknown length
// (gRPC) through 16 KB buffers, not 512 KB ones (h2MaxReadFrame).
func TestH2AdvertisesSmallFrames(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(app.Close)
	for _, tc := range []struct {
		name   string
		h2fast bool
	}{{"x/net/http2 server", false}, {"lean path", true}} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := staticH2Proxy(t, app.Listener.Addr().String(), tc.h2fast)
			_, fr := rawH2(t, addr)
			f, err := fr.ReadFrame()
			require.NoError(t, err)
			sf, ok := f.(*http2.SettingsFrame)
			require.True(t, ok, "first frame is SETTINGS, got %T", f)
			v, ok := sf.Value(http2.SettingMaxFrameSize)
			if ok { // absent means the default, 16384
				assert.Equal(t, uint32(16<<10), v)
			}
		})
	}
}
