package inject

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

func review(t *testing.T, url string, kind string, op admissionv1.Operation, pod *corev1.Pod) *admissionv1.AdmissionResponse {
	t.Helper()
	raw, err := json.Marshal(pod)
	require.NoError(t, err)
	in := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID("uid-1"), Kind: metav1.GroupVersionKind{Version: "v1", Kind: kind},
			Operation: op, Namespace: "demo", Object: runtime.RawExtension{Raw: raw},
		},
	}
	body, err := json.Marshal(in)
	require.NoError(t, err)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out admissionv1.AdmissionReview
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.NotNil(t, out.Response)
	assert.Equal(t, types.UID("uid-1"), out.Response.UID)
	return out.Response
}

func TestWebhook(t *testing.T) {
	srv := httptest.NewServer(&Webhook{Config: Config{Image: "mp:1"}})
	defer srv.Close()
	pod := func(ann map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: ann}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}}}
	}
	tests := []struct {
		name       string
		kind       string
		op         admissionv1.Operation
		pod        *corev1.Pod
		allowed    bool
		wantPatch  bool
		wantDenied string
	}{
		{"annotated pod gets the sidecar", "Pod", admissionv1.Create, pod(map[string]string{AnnotationInject: "true", AnnotationAppPort: "8080"}), true, true, ""},
		{"pod without the annotation", "Pod", admissionv1.Create, pod(nil), true, false, ""},
		{"update is left alone", "Pod", admissionv1.Update, pod(map[string]string{AnnotationInject: "true"}), true, false, ""},
		{"not a pod", "Service", admissionv1.Create, pod(nil), true, false, ""},
		{"malformed annotation is denied", "Pod", admissionv1.Create, pod(map[string]string{AnnotationInject: "true", AnnotationAppPort: "x"}), false, false, AnnotationAppPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := review(t, srv.URL, tt.kind, tt.op, tt.pod)
			assert.Equal(t, tt.allowed, r.Allowed)
			if tt.wantDenied != "" {
				require.NotNil(t, r.Result)
				assert.Contains(t, r.Result.Message, tt.wantDenied)
			}
			if !tt.wantPatch {
				assert.Empty(t, r.Patch)
				return
			}
			require.NotNil(t, r.PatchType)
			assert.Equal(t, admissionv1.PatchTypeJSONPatch, *r.PatchType)
			var patch []struct {
				Op    string          `json:"op"`
				Path  string          `json:"path"`
				Value json.RawMessage `json:"value"`
			}
			require.NoError(t, json.Unmarshal(r.Patch, &patch))
			require.Len(t, patch, 2)
			var cs []corev1.Container
			require.NoError(t, json.Unmarshal(patch[0].Value, &cs))
			require.Len(t, cs, 2)
			assert.Equal(t, ContainerName, cs[1].Name)
			assert.Equal(t, "mp:1", cs[1].Image)
			assert.Contains(t, string(patch[1].Value), AnnotationInboundPort)
		})
	}
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestWebhookManifests(t *testing.T) {
	out, err := WebhookManifests(WebhookOptions{Namespace: "inj", Image: "mb:1", Sidecar: Config{Image: "mp:1"}})
	require.NoError(t, err)
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	kinds := map[string]map[string]any{}
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		kinds[doc["kind"].(string)] = doc
	}
	for _, k := range []string{"Namespace", "Secret", "Service", "Pod", "MutatingWebhookConfiguration"} {
		assert.Contains(t, kinds, k)
	}
	hook := kinds["MutatingWebhookConfiguration"]["webhooks"].([]any)[0].(map[string]any)
	caPEM, err := base64.StdEncoding.DecodeString(hook["clientConfig"].(map[string]any)["caBundle"].(string))
	require.NoError(t, err)
	certPEM, err := base64.StdEncoding.DecodeString(kinds["Secret"]["data"].(map[string]any)["tls.crt"].(string))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "meshbench-injector.inj.svc", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	assert.NoError(t, err, "the API server can verify the injector's certificate against the caBundle")
	_, err = WebhookManifests(WebhookOptions{Namespace: "inj"})
	assert.Error(t, err)
}
