package inject

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Webhook is the mutating admission webhook form of the injector: the API
// server sends every pod created in a namespace labelled
// meshbench.io/inject=enabled, and pods annotated for injection come back
// with the sidecar as a JSON patch. Services are not pods, so unlike the
// manifest transform it cannot retarget them: point a Service at the
// sidecar's inbound port yourself. Safe for concurrent use.
type Webhook struct {
	Config Config
	Log    *slog.Logger
}

// maxReview bounds the request body (a pod's JSON).
const maxReview = 4 << 20

// ServeHTTP implements http.Handler.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST an AdmissionReview", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReview))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(rw, "want an admission.k8s.io/v1 AdmissionReview with a request", http.StatusBadRequest)
		return
	}
	resp := w.review(review.Request)
	resp.UID = review.Request.UID
	review.Response, review.Request = resp, nil
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(&review)
}

// review decides one request: allowed unchanged, allowed with a patch, or
// denied when the pod's injection annotations are malformed.
func (w *Webhook) review(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	allow := &admissionv1.AdmissionResponse{Allowed: true}
	if req.Kind.Kind != "Pod" || req.Operation != admissionv1.Create {
		return allow
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return deny(fmt.Sprintf("decode pod: %v", err))
	}
	ok, err := Pod(&pod.ObjectMeta, &pod.Spec, w.Config)
	if err != nil {
		return deny(err.Error())
	}
	if !ok {
		return allow
	}
	patch := []map[string]any{
		{"op": "replace", "path": "/spec/containers", "value": pod.Spec.Containers},
		{"op": "add", "path": "/metadata/annotations", "value": pod.Annotations},
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		return deny(err.Error())
	}
	if w.Log != nil {
		w.Log.Info("sidecar injected", "namespace", req.Namespace, "pod", pod.Name+pod.GenerateName)
	}
	pt := admissionv1.PatchTypeJSONPatch
	allow.Patch, allow.PatchType = raw, &pt
	return allow
}

func deny(msg string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Message: "meshbench injector: " + msg, Code: http.StatusBadRequest}}
}
