package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/meshbench/meshbench/harness/peers"
	"github.com/meshbench/meshbench/internal/await"
)

// PeerLabel marks every object a peer install created (value: the peer's
// name), so an interrupted run's leftovers can be found and removed.
const PeerLabel = "meshbench.io/peer"

// Bounds of a peer install. PeerReadyTimeout bounds the wait for the
// control plane once its objects exist: a pull that fails shows within
// seconds (ErrImagePull), so the bound only catches a cluster that makes
// no progress at all.
var (
	PeerReadyTimeout   = 3 * time.Minute
	peerRemoveTimeout  = 3 * time.Minute
	peerPollInterval   = 500 * time.Millisecond
	crdEstablishedWait = time.Minute
)

// peerInstall is one peer's control plane on the cluster: the objects this
// install created, in creation order (removed in reverse).
type peerInstall struct {
	m       *peers.Manifest
	dyn     dynamic.Interface
	mapper  meta.ResettableRESTMapper // discovery-backed; Reset after CRDs
	created []created
	log     *slog.Logger
}

type created struct {
	gvr       schema.GroupVersionResource
	ns, name  string
	kind      string
	namespace bool // the object is a Namespace: wait for it to go
}

func (c created) String() string {
	if c.ns != "" {
		return c.kind + " " + c.ns + "/" + c.name
	}
	return c.kind + " " + c.name
}

// newPeerInstall prepares the clients of an install.
func (p *Platform) newPeerInstall(m *peers.Manifest) (*peerInstall, error) {
	dyn, err := dynamic.NewForConfig(p.opts.Config)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(p.opts.Config)
	if err != nil {
		return nil, err
	}
	return &peerInstall{m: m, dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), log: p.opts.Log}, nil
}

// apply creates the manifest's objects: namespaces, then CRDs (and waits
// until they are served), then the rest in manifest order. An object that
// already exists is adopted when it carries this peer's label (a leftover
// of an interrupted run) and otherwise left alone and never deleted: an
// install must not remove what someone else put on the cluster.
func (pi *peerInstall) apply(ctx context.Context) error {
	rank := func(u *unstructured.Unstructured) int {
		switch u.GetKind() {
		case "Namespace":
			return 0
		case "CustomResourceDefinition":
			return 1
		}
		return 2
	}
	objs := slices.Clone(pi.m.Objects)
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int { return rank(a) - rank(b) })
	crdsDone := false
	for _, u := range objs {
		if rank(u) == 2 && !crdsDone {
			crdsDone = true
			if err := pi.waitCRDs(ctx); err != nil {
				return err
			}
			pi.mapper.Reset() // the new kinds are served now
		}
		if err := pi.create(ctx, u.DeepCopy()); err != nil {
			return err
		}
	}
	return nil
}

func (pi *peerInstall) create(ctx context.Context, u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	mapping, err := pi.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[PeerLabel] = pi.m.Peer.Name
	u.SetLabels(labels)
	var ri dynamic.ResourceInterface = pi.dyn.Resource(mapping.Resource)
	ns := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns = u.GetNamespace()
		if ns == "" {
			ns = pi.m.Peer.Namespace
			u.SetNamespace(ns)
		}
		ri = pi.dyn.Resource(mapping.Resource).Namespace(ns)
	}
	c := created{gvr: mapping.Resource, ns: ns, name: u.GetName(), kind: gvk.Kind, namespace: gvk.Kind == "Namespace" && gvk.Group == ""}
	_, err = ri.Create(ctx, u, metav1.CreateOptions{FieldManager: "meshbench"})
	if apierrors.IsAlreadyExists(err) {
		old, gerr := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
		if gerr != nil {
			return fmt.Errorf("create %s: %w", c, gerr)
		}
		if old.GetLabels()[PeerLabel] != pi.m.Peer.Name {
			pi.log.Warn("exists and is not ours: left as it is", "object", c.String())
			return nil
		}
		err = nil // a leftover of ours: adopted, removed with the rest
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", c, err)
	}
	pi.created = append(pi.created, c)
	return nil
}

// waitCRDs waits until every CRD this install created is Established.
func (pi *peerInstall) waitCRDs(ctx context.Context) error {
	var crds []created
	for _, c := range pi.created {
		if c.kind == "CustomResourceDefinition" {
			crds = append(crds, c)
		}
	}
	return await.Until(ctx, fmt.Sprintf("%d CRDs to be Established", len(crds)), peerPollInterval, crdEstablishedWait, func(ctx context.Context) (bool, string, error) {
		var not []string
		crds = slices.DeleteFunc(crds, func(c created) bool { // Established stays so
			u, err := pi.dyn.Resource(c.gvr).Get(ctx, c.name, metav1.GetOptions{})
			switch {
			case err != nil:
				not = append(not, c.name+": "+err.Error())
			case !established(u):
				not = append(not, c.name)
			default:
				return true
			}
			return false
		})
		return len(crds) == 0, "not Established: " + strings.Join(not, ", "), nil
	})
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// remove deletes what the install created, newest first, and waits until
// it is gone (namespaces included: their finalizers run), within a bound.
func (pi *peerInstall) remove(ctx context.Context) error {
	bg := metav1.DeletePropagationBackground
	var errs []error
	for i := len(pi.created) - 1; i >= 0; i-- {
		c := pi.created[i]
		err := pi.resource(c).Delete(ctx, c.name, metav1.DeleteOptions{PropagationPolicy: &bg})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", c, err))
		}
	}
	// Each look asks only about what the last one still saw: one object
	// gone stays gone (its name is not reused while this runs).
	left := slices.Clone(pi.created)
	err := await.Until(ctx, fmt.Sprintf("the %d objects of the install to be gone after deleting them", len(pi.created)), peerPollInterval, peerRemoveTimeout,
		func(ctx context.Context) (bool, string, error) {
			var present []string
			left = slices.DeleteFunc(left, func(c created) bool {
				_, err := pi.resource(c).Get(ctx, c.name, metav1.GetOptions{})
				switch {
				case apierrors.IsNotFound(err):
					return true
				case err != nil:
					present = append(present, c.String()+": "+err.Error())
				default:
					present = append(present, c.String())
				}
				return false
			})
			return len(left) == 0, "still present: " + strings.Join(present, ", "), nil
		})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	pi.created = nil
	return errors.Join(errs...)
}

func (pi *peerInstall) resource(c created) dynamic.ResourceInterface {
	if c.ns != "" {
		return pi.dyn.Resource(c.gvr).Namespace(c.ns)
	}
	return pi.dyn.Resource(c.gvr)
}

// pullFailures are the container waiting reasons that mean the image will
// not come: the lane is unavailable, not slow.
var pullFailures = []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}

// imagePullFailures lists "image (reason: message)" of every container of
// pods that cannot get its image.
func imagePullFailures(pods []corev1.Pod) (images []string, detail []string) {
	for _, p := range pods {
		specImage := map[string]string{}
		for _, c := range append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...) {
			specImage[c.Name] = c.Image
		}
		for _, st := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
			w := st.State.Waiting
			if w == nil || !slices.Contains(pullFailures, w.Reason) {
				continue
			}
			img := specImage[st.Name]
			if img == "" {
				img = st.Image
			}
			if !slices.Contains(images, img) {
				images = append(images, img)
				detail = append(detail, fmt.Sprintf("%s (pod %s/%s: %s: %s)", img, p.Namespace, p.Name, w.Reason, firstLine(w.Message)))
			}
		}
	}
	slices.Sort(images)
	return images, detail
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
