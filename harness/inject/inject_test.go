package inject

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca/kubeauth"
)

func TestPod(t *testing.T) {
	cfg := Config{Image: "meshbench.local/meshproxy:abc", Workers: 2, Args: []string{"--x=1"}}
	tests := []struct {
		name       string
		ann        map[string]string
		wantOK     bool
		wantErr    string
		wantArgs   []string
		wantRole   string
		wantInPort string
	}{
		{name: "not annotated", ann: map[string]string{}},
		{
			name: "inbound", ann: map[string]string{AnnotationInject: "true", AnnotationAppPort: "8080"}, wantOK: true,
			wantArgs:   []string{"--id", "server-proxy", "--admin", "127.0.0.1:15000", "--health", "0.0.0.0:15021", "--inbound", "0.0.0.0:15006=127.0.0.1:8080", "--x=1"},
			wantRole:   "server-proxy",
			wantInPort: "15006",
		},
		{
			name: "outbound, two upstreams", ann: map[string]string{AnnotationInject: "true", AnnotationOutbound: "15001=app:8080, 15002=db:5432"}, wantOK: true,
			wantArgs: []string{"--id", "client-proxy", "--admin", "127.0.0.1:15000", "--health", "0.0.0.0:15021", "--outbound", "127.0.0.1:15001=app:8080", "--outbound", "127.0.0.1:15002=db:5432", "--x=1"},
			wantRole: "client-proxy",
		},
		{name: "bad app port", ann: map[string]string{AnnotationInject: "true", AnnotationAppPort: "http"}, wantErr: AnnotationAppPort},
		{name: "bad outbound", ann: map[string]string{AnnotationInject: "true", AnnotationOutbound: "app:8080"}, wantErr: AnnotationOutbound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := metav1.ObjectMeta{Annotations: tt.ann}
			spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}
			ok, err := Pod(&meta, &spec, cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantOK, ok)
			if !ok {
				assert.Len(t, spec.Containers, 1)
				return
			}
			require.Len(t, spec.Containers, 2)
			c := spec.Containers[1]
			assert.Equal(t, ContainerName, c.Name)
			assert.Equal(t, tt.wantArgs, c.Args)
			// Admin (pprof, config_dump, metrics) stays on loopback; the probe
			// and the only declared admin-side port are the health listener's.
			require.NotNil(t, c.ReadinessProbe)
			assert.Equal(t, "/ready", c.ReadinessProbe.HTTPGet.Path)
			assert.Equal(t, intstr.FromInt32(15021), c.ReadinessProbe.HTTPGet.Port)
			assert.Contains(t, c.Ports, corev1.ContainerPort{Name: "mesh-health", ContainerPort: 15021})
			for _, p := range c.Ports {
				assert.NotEqual(t, int32(15000), p.ContainerPort, "admin port declared on the pod")
			}
			assert.Equal(t, corev1.PullIfNotPresent, c.ImagePullPolicy)
			assert.Equal(t, []corev1.EnvVar{{Name: "GOMAXPROCS", Value: "2"}}, c.Env)
			assert.Equal(t, tt.wantRole, meta.Annotations[AnnotationRole])
			assert.Equal(t, tt.wantInPort, meta.Annotations[AnnotationInboundPort])
			if tt.wantInPort != "" {
				// the registry names the endpoint's sidecar by its --id
				assert.Equal(t, tt.wantArgs[1], meta.Annotations[AnnotationProxyID])
			} else {
				assert.NotContains(t, meta.Annotations, AnnotationProxyID, "no inbound, no endpoint to name")
			}
			ok, err = Pod(&meta, &spec, cfg)
			require.NoError(t, err)
			assert.False(t, ok, "a second injection is a no-op")
		})
	}
}

func TestPodNeedsImage(t *testing.T) {
	meta := metav1.ObjectMeta{Annotations: map[string]string{AnnotationInject: "true"}}
	_, err := Pod(&meta, &corev1.PodSpec{}, Config{})
	assert.Error(t, err)
}

func TestService(t *testing.T) {
	labels := map[string]string{"app": "echo"}
	ann := map[string]string{AnnotationInboundPort: "15006", AnnotationAppPort: "8080"}
	tests := []struct {
		name   string
		svc    corev1.ServiceSpec
		want   bool
		target intstr.IntOrString
	}{
		{"matching targetPort", corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt(8080)}}}, true, intstr.FromInt(15006)},
		{"unset targetPort means port", corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 8080}}}, true, intstr.FromInt(15006)},
		{"other port", corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 9090, TargetPort: intstr.FromInt(9090)}}}, false, intstr.FromInt(9090)},
		{"other selector", corev1.ServiceSpec{Selector: map[string]string{"app": "db"}, Ports: []corev1.ServicePort{{Port: 8080, TargetPort: intstr.FromInt(8080)}}}, false, intstr.FromInt(8080)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{Spec: tt.svc}
			assert.Equal(t, tt.want, Service(svc, labels, ann))
			assert.Equal(t, tt.target, svc.Spec.Ports[0].TargetPort)
		})
	}
}

const manifests = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata:
      labels: {app: echo}
      annotations: {meshbench.io/inject: "true", meshbench.io/app-port: "8080"}
    spec:
      containers: [{name: app, image: "meshbench.local/meshbench:abc", ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec:
  selector: {app: echo}
  ports: [{port: 8080, targetPort: 8080}]
`

func TestManifests(t *testing.T) {
	out, err := Manifests([]byte(manifests), Config{Image: "meshbench.local/meshproxy:abc"})
	require.NoError(t, err)
	docs := strings.Split(string(out), "---\n")
	require.Len(t, docs, 3)
	assert.Contains(t, docs[0], "kind: ConfigMap")
	var dep appsv1.Deployment
	require.NoError(t, yaml.Unmarshal([]byte(docs[1]), &dep))
	require.Len(t, dep.Spec.Template.Spec.Containers, 2)
	assert.Equal(t, "meshbench.local/meshproxy:abc", dep.Spec.Template.Spec.Containers[1].Image)
	var svc corev1.Service
	require.NoError(t, yaml.Unmarshal([]byte(docs[2]), &svc))
	assert.Equal(t, intstr.FromInt(15006), svc.Spec.Ports[0].TargetPort)

	_, err = Manifests([]byte("kind: Pod\nspec: {bogus: 1}\n"), Config{Image: "x"})
	assert.Error(t, err, "unknown fields in a workload are an error, not silently dropped")
}

// TestPodProjectedTokenForCAAudience: with a token audience the sidecar
// reads a projected service-account token minted for that audience (the one
// meshcontrol's TokenReview requires), and nothing else changes without it.
func TestPodProjectedTokenForCAAudience(t *testing.T) {
	for _, tc := range []struct {
		name, audience string
		want           bool
	}{{"audience set", kubeauth.DefaultAudience, true}, {"no audience", "", false}} {
		t.Run(tc.name, func(t *testing.T) {
			meta := metav1.ObjectMeta{Annotations: map[string]string{AnnotationInject: "true", AnnotationAppPort: "8080"}}
			spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}
			ok, err := Pod(&meta, &spec, Config{Image: "img", ControlPlane: "10.0.0.1:15010", TokenAudience: tc.audience})
			require.NoError(t, err)
			require.True(t, ok)
			c := spec.Containers[1]
			if !tc.want {
				assert.Empty(t, spec.Volumes)
				assert.NotContains(t, c.Args, "--xds-token-file")
				return
			}
			require.Len(t, spec.Volumes, 1)
			proj := spec.Volumes[0].Projected
			require.NotNil(t, proj)
			require.Len(t, proj.Sources, 1)
			sat := proj.Sources[0].ServiceAccountToken
			require.NotNil(t, sat)
			assert.Equal(t, kubeauth.DefaultAudience, sat.Audience, "the audience meshcontrol's TokenReview requires")
			require.Len(t, c.VolumeMounts, 1)
			assert.Equal(t, spec.Volumes[0].Name, c.VolumeMounts[0].Name)
			assert.Equal(t, c.VolumeMounts[0].MountPath+"/"+sat.Path, c.Args[slices.Index(c.Args, "--xds-token-file")+1])
		})
	}
}

// TestPodVerifiesControlPlaneOverTLS: with ControlPlaneRoot the sidecar
// mounts that ConfigMap and points --xds-ca at its root-cert.pem (ADS and
// the CA over TLS), checking --xds-server-name; without it, neither.
func TestPodVerifiesControlPlaneOverTLS(t *testing.T) {
	for _, tc := range []struct {
		name, root, server string
	}{{"root and name", "meshcontrol-root", "meshcontrol"}, {"root only", "meshcontrol-root", ""}, {"plaintext", "", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			meta := metav1.ObjectMeta{Annotations: map[string]string{AnnotationInject: "true", AnnotationAppPort: "8080"}}
			spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}
			ok, err := Pod(&meta, &spec, Config{Image: "img", ControlPlane: "10.0.0.1:15010", ControlPlaneRoot: tc.root, ControlPlaneServerName: tc.server})
			require.NoError(t, err)
			require.True(t, ok)
			c := spec.Containers[1]
			if tc.root == "" {
				assert.Empty(t, spec.Volumes)
				assert.NotContains(t, c.Args, "--xds-ca")
				assert.NotContains(t, c.Args, "--xds-server-name")
				return
			}
			require.Len(t, spec.Volumes, 1)
			cm := spec.Volumes[0].ConfigMap
			require.NotNil(t, cm, "the root certificate comes from a ConfigMap (no key in it)")
			assert.Equal(t, tc.root, cm.Name)
			require.Len(t, c.VolumeMounts, 1)
			assert.Equal(t, spec.Volumes[0].Name, c.VolumeMounts[0].Name)
			assert.True(t, c.VolumeMounts[0].ReadOnly)
			i := slices.Index(c.Args, "--xds-ca")
			require.GreaterOrEqual(t, i, 0, "args %v", c.Args)
			assert.Equal(t, c.VolumeMounts[0].MountPath+"/"+ca.RootCertFile, c.Args[i+1])
			if j := slices.Index(c.Args, "--xds-server-name"); tc.server != "" && assert.GreaterOrEqual(t, j, 0) {
				assert.Equal(t, tc.server, c.Args[j+1])
			} else if tc.server == "" {
				assert.Equal(t, -1, j)
			}
		})
	}
}
