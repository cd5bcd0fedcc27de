package inject

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// podTemplate is an injected workload's pod metadata, for retargeting Services.
type podTemplate struct {
	labels, annotations map[string]string
}

// Manifests injects every workload of a multi-document YAML (or JSON)
// stream that asks for a sidecar (Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job) and retargets the Services in front of injected inbound
// pods. Other documents pass through unchanged; order is kept.
func Manifests(in []byte, cfg Config) ([]byte, error) {
	var docs [][]byte
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(in), 4096)
	for {
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("parse manifests: %w", err)
		}
		if raw == nil {
			continue
		}
		j, err := yaml.Marshal(raw)
		if err != nil {
			return nil, err
		}
		docs = append(docs, j)
	}
	out := make([]any, len(docs))
	var templates []podTemplate
	for i, d := range docs {
		obj, tmpl, err := injectDoc(d, cfg)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		out[i] = obj
		if tmpl != nil {
			templates = append(templates, *tmpl)
		}
	}
	for i, d := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(d, &tm); err != nil || tm.Kind != "Service" {
			continue
		}
		var svc corev1.Service
		if err := yaml.Unmarshal(d, &svc); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		changed := false
		for _, t := range templates {
			changed = Service(&svc, t.labels, t.annotations) || changed
		}
		if changed {
			out[i] = &svc
		}
	}
	var buf bytes.Buffer
	for i, o := range out {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// injectDoc returns the document (injected if it is a workload that asks)
// and, when injected, its pod template's metadata.
func injectDoc(d []byte, cfg Config) (any, *podTemplate, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(d, &tm); err != nil {
		return nil, nil, err
	}
	var obj any
	var meta *metav1.ObjectMeta
	var spec *corev1.PodSpec
	switch tm.Kind {
	case "Pod":
		o := &corev1.Pod{}
		obj, meta, spec = o, &o.ObjectMeta, &o.Spec
	case "Deployment":
		o := &appsv1.Deployment{}
		obj, meta, spec = o, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case "StatefulSet":
		o := &appsv1.StatefulSet{}
		obj, meta, spec = o, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case "DaemonSet":
		o := &appsv1.DaemonSet{}
		obj, meta, spec = o, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case "ReplicaSet":
		o := &appsv1.ReplicaSet{}
		obj, meta, spec = o, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case "Job":
		o := &batchv1.Job{}
		obj, meta, spec = o, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	default:
		var raw map[string]any
		err := yaml.Unmarshal(d, &raw)
		return raw, nil, err
	}
	if err := yaml.UnmarshalStrict(d, obj); err != nil {
		return nil, nil, err
	}
	ok, err := Pod(meta, spec, cfg)
	if err != nil || !ok {
		var raw map[string]any
		if uerr := yaml.Unmarshal(d, &raw); uerr != nil {
			return nil, nil, uerr
		}
		return raw, nil, err
	}
	return obj, &podTemplate{labels: meta.Labels, annotations: meta.Annotations}, nil
}
