package meshconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLaneReplicas: app replicas become endpoints of the service beside the
// app (clientonly: the client proxy balances over them); other modes, whose
// endpoints are server proxies, refuse them.
func TestLaneReplicas(t *testing.T) {
	tests := []struct {
		name  string
		mode  string
		want  []string
		error string
	}{
		{"clientonly", ModeClientOnly, []string{"127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"}, ""},
		{"both", ModeBoth, nil, "need lane mode clientonly"},
		{"serveronly", ModeServerOnly, nil, "need lane mode clientonly"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Lane(LaneOptions{Mode: tc.mode, ClientOutbound: "127.0.0.1:9000", ServerInbound: "127.0.0.1:9010",
				App: "127.0.0.1:9001", Replicas: []string{"127.0.0.1:9002", "127.0.0.1:9003"}})
			if tc.error != "" {
				assert.ErrorContains(t, err, tc.error)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, e := range m.Services[0].Endpoints {
				got = append(got, e.Address)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestLaneAppFromRegistry: the service is declared without endpoints (the
// registry's pods fill them in) in every mode; with a server proxy its
// inbound listener is where the options say (on Kubernetes every address
// of its pod), in front of the app.
func TestLaneAppFromRegistry(t *testing.T) {
	tests := []struct {
		name, mode string
		client     bool
		server     bool
	}{
		{"clientonly", ModeClientOnly, true, false},
		{"both", ModeBoth, true, true},
		{"serveronly", ModeServerOnly, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Lane(LaneOptions{Mode: tc.mode, ClientOutbound: "127.0.0.1:9000", ServerInbound: "0.0.0.0:15006",
				App: "127.0.0.1:8080", Service: "app", AppFromRegistry: true})
			require.NoError(t, err)
			require.NotNil(t, m.Service("app"))
			assert.Empty(t, m.Service("app").Endpoints)
			if tc.client {
				assert.Equal(t, "app", m.Proxy("client-proxy").Outbound[0].Service)
			}
			if tc.server {
				require.NotNil(t, m.Proxy("server-proxy"))
				assert.Equal(t, &Inbound{Address: "0.0.0.0:15006", App: "127.0.0.1:8080"}, m.Proxy("server-proxy").Inbound)
			} else {
				assert.Nil(t, m.Proxy("server-proxy"))
			}
		})
	}
}
