package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// apply creates the objects of a multi-document YAML stream in ns: the
// kinds the mesh's deploy manifests use. podHook, if set, adjusts each Pod
// (placement) before it is created.
func apply(ctx context.Context, cs kubernetes.Interface, ns string, manifests string, podHook func(*corev1.Pod)) error {
	r := utilyaml.NewYAMLReader(bufioReader(manifests))
	dec := scheme.Codecs.UniversalDeserializer()
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return fmt.Errorf("decode manifest: %w", err)
		}
		co := metav1.CreateOptions{}
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, o, co)
		case *corev1.Service:
			_, err = cs.CoreV1().Services(ns).Create(ctx, o, co)
		case *corev1.Pod:
			if podHook != nil {
				podHook(o)
			}
			_, err = cs.CoreV1().Pods(ns).Create(ctx, o, co)
		case *corev1.ConfigMap:
			_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, o, co)
		case *rbacv1.Role:
			_, err = cs.RbacV1().Roles(ns).Create(ctx, o, co)
		case *rbacv1.RoleBinding:
			_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, o, co)
		default:
			return fmt.Errorf("apply: kind %s not supported", gvk.Kind)
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", gvk.Kind, err)
		}
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
