package kube

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Ports of the harness's workloads inside their pods.
const (
	appPort      = 8080
	loadgenPort  = 9080
	outboundPort = 15001 // the client-side sidecar's listener on the load client's loopback
	inboundPort  = 15006 // the server-side sidecar's inbound listener
)

// placement puts pods by the nodes' meshbench.io/role labels when the
// cluster has them (kind-config/three-nodes.yaml), like Istio's benchmark:
// load client, server and mesh on separate nodes.
type placement struct {
	roles map[string]bool // role labels present on some node
}

const roleLabel = "meshbench.io/role"

func (pl placement) apply(spec *corev1.PodSpec, role string, avoid map[string]string) {
	if pl.roles[role] {
		spec.NodeSelector = map[string]string{roleLabel: role}
	}
	if len(avoid) > 0 {
		spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 100,
				PodAffinityTerm: corev1.PodAffinityTerm{
					LabelSelector: &metav1.LabelSelector{MatchLabels: avoid},
					TopologyKey:   "kubernetes.io/hostname",
				},
			}},
		}}
	}
	if role == "mesh" {
		spec.Tolerations = append(spec.Tolerations, corev1.Toleration{
			Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule,
		})
	}
}

// requests gives the harness's containers CPU requests, which makes their
// pods Burstable: BestEffort pods get the minimum cpu.shares (2) and lose
// every contended tick to the node's control plane. No limits: throttling
// would add latency the mesh did not cause.
func requests(cpu string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse("16Mi"),
	}}
}

// CPU requests of the workloads and of each sidecar.
const (
	workloadCPU = "200m"
	sidecarCPU  = "100m"
)

func httpReady(path string, port int) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt(port)}},
		PeriodSeconds: 1,
	}
}

// appPod is the echo app; with failStatus it answers that status while a
// fail fault holds (meshbench echo --fail-status, SIGUSR1/SIGUSR2).
func appPod(image string, failStatus int) *corev1.Pod {
	args := []string{"echo", "--listen", "0.0.0.0:8080"}
	if failStatus != 0 {
		args = append(args, "--fail-status", strconv.Itoa(failStatus))
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: map[string]string{"app": "echo"}, Annotations: map[string]string{}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr(int64(2)),
			Containers: []corev1.Container{{
				Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
				Args:           args,
				Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: appPort}},
				ReadinessProbe: httpReady("/", appPort),
				Resources:      requests(workloadCPU),
			}},
		},
	}
}

func appService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: map[string]string{"app": "echo"}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "echo"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: appPort, TargetPort: intstr.FromInt(appPort), AppProtocol: ptr("http")}},
		},
	}
}

func loadgenPod(image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "loadgen", Labels: map[string]string{"app": "loadgen"}, Annotations: map[string]string{}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr(int64(2)),
			Containers: []corev1.Container{{
				Name: "loadgen", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
				Args:           []string{"loadgen", "--listen", "0.0.0.0:9080"},
				Ports:          []corev1.ContainerPort{{Name: "api", ContainerPort: loadgenPort}},
				ReadinessProbe: httpReady("/ready", loadgenPort),
				Resources:      requests(workloadCPU),
			}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// inboundNodePort exposes the server sidecar's inbound listener on every
// node: the flood and slow-loris faults reach it from the host through the
// node network (kube-proxy forwards to the app pod).
func inboundNodePort() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "server-proxy-inbound", Labels: map[string]string{"app": "echo"}},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeNodePort,
			Selector: map[string]string{"app": "echo"},
			Ports:    []corev1.ServicePort{{Name: "tcp-inbound", Port: inboundPort, TargetPort: intstr.FromInt(inboundPort)}},
		},
	}
}
