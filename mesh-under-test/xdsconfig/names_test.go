package xdsconfig

import (
	"testing"

	resource "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/stretchr/testify/assert"
)

// TestTypeURLsAgreeWithGoControlPlane: the proxy's copies of the type URLs
// are the ones meshcontrol serves through go-control-plane's cache.
func TestTypeURLsAgreeWithGoControlPlane(t *testing.T) {
	assert.Equal(t, resource.ListenerType, TypeListener)
	assert.Equal(t, resource.RouteType, TypeRoute)
	assert.Equal(t, resource.ClusterType, TypeCluster)
	assert.Equal(t, resource.EndpointType, TypeEndpoint)
	assert.Equal(t, resource.SecretType, TypeSecret)
}
