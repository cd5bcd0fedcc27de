package inject

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Annotations.
const (
	AnnotationInject      = "meshbench.io/inject"
	AnnotationAppPort     = "meshbench.io/app-port"
	AnnotationOutbound    = "meshbench.io/outbound"
	AnnotationInboundPort = "meshbench.io/inbound-port" // written by the injector
	AnnotationRole        = "meshbench.io/proxy-role"   // written: client-proxy | server-proxy | sidecar
	AnnotationProxyID     = "meshbench.io/proxy-id"     // written with an inbound port: the sidecar's --id, which the registry gives its endpoints
)

// ContainerName of the injected sidecar.
const ContainerName = "meshproxy"

// Config of the sidecar. Normalize fills defaults.
type Config struct {
	// Image of meshproxy (pinned tag; pulled only if not present).
	Image string
	// InboundPort the sidecar serves inbound traffic on (default 15006).
	InboundPort int32
	// AdminPort of the sidecar's admin server (/ready, /metrics,
	// /config_dump, /debug/pprof/; default 15000), bound to 127.0.0.1: only
	// the pod itself (and kubectl port-forward) reaches it.
	AdminPort int32
	// HealthPort of the sidecar's health listener (default 15021), bound to
	// 0.0.0.0 for the kubelet's readiness probe; it serves /ready only.
	HealthPort int32
	// ControlPlane, when set, is the xDS address passed with ControlPlaneFlag.
	ControlPlane     string
	ControlPlaneFlag string // default DefaultControlPlaneFlag
	// Workers sets GOMAXPROCS of the sidecar when > 0.
	Workers int
	// Args are extra meshproxy arguments (the gate's injected regressions).
	Args []string
	// Resources of the sidecar container, if any.
	Resources corev1.ResourceRequirements
	// ID is the sidecar's --id (its xDS node id); default its role
	// (client-proxy, server-proxy, sidecar). A service graph names each
	// service's sidecar after the service.
	ID string
	// Env is added to the sidecar (e.g. MESH_BOOTSTRAP_TOKEN from a Secret).
	Env []corev1.EnvVar
	// TokenAudience, with ControlPlane, gives the sidecar a projected
	// service-account token for this audience (meshcontrol's
	// --token-audience, "meshcontrol" by default) and points
	// --xds-token-file at it: the CA's TokenReview then grants the pod its
	// own service account's identity, and the token is worthless to any
	// other audience (the API server included).
	TokenAudience string
	// ControlPlaneRoot, with ControlPlane, is the ConfigMap holding the root
	// certificate meshcontrol's serving certificate chains to (key
	// root-cert.pem; deploy.RootConfigMap): mounted into the sidecar, which
	// then talks to ADS and the CA over TLS (--xds-ca), checking that the
	// certificate names ControlPlaneServerName (--xds-server-name; empty:
	// the ControlPlane host).
	ControlPlaneRoot       string
	ControlPlaneServerName string
}

// Where the projected CA token is mounted in the sidecar.
const (
	tokenVolume    = "meshbench-ca-token"
	tokenMountPath = "/var/run/secrets/meshbench.io"
	tokenFile      = tokenMountPath + "/token"
	rootVolume     = "meshbench-xds-root"
	rootMountPath  = "/var/run/meshbench.io/xds-root"
	rootFile       = rootMountPath + "/root-cert.pem"
)

// Normalize fills defaults.
func (c *Config) Normalize() error {
	if c.Image == "" {
		return fmt.Errorf("inject: sidecar image is required")
	}
	if c.InboundPort == 0 {
		c.InboundPort = 15006
	}
	if c.AdminPort == 0 {
		c.AdminPort = 15000
	}
	if c.HealthPort == 0 {
		c.HealthPort = 15021
	}
	if c.ControlPlaneFlag == "" {
		c.ControlPlaneFlag = DefaultControlPlaneFlag
	}
	return nil
}

// Wanted reports whether a pod's annotations ask for a sidecar.
func Wanted(meta *metav1.ObjectMeta) bool {
	v := meta.Annotations[AnnotationInject]
	return v == "true" || v == "enabled"
}

// Pod adds the sidecar to a pod (or pod template) whose annotations ask for
// it. It returns false when the pod did not ask or already has a sidecar.
func Pod(meta *metav1.ObjectMeta, spec *corev1.PodSpec, cfg Config) (bool, error) {
	if !Wanted(meta) {
		return false, nil
	}
	for _, c := range spec.Containers {
		if c.Name == ContainerName {
			return false, nil
		}
	}
	if err := cfg.Normalize(); err != nil {
		return false, err
	}
	args := []string{"--admin", fmt.Sprintf("127.0.0.1:%d", cfg.AdminPort), "--health", fmt.Sprintf("0.0.0.0:%d", cfg.HealthPort)}
	role := "sidecar"
	var ports []corev1.ContainerPort
	if app := meta.Annotations[AnnotationAppPort]; app != "" {
		p, err := strconv.Atoi(app)
		if err != nil || p <= 0 || p > 65535 {
			return false, fmt.Errorf("%s %q: want a port number", AnnotationAppPort, app)
		}
		if cfg.ControlPlane == "" { // with a control plane, xDS brings the listeners
			args = append(args, "--inbound", fmt.Sprintf("0.0.0.0:%d=127.0.0.1:%d", cfg.InboundPort, p))
		}
		ports = append(ports, corev1.ContainerPort{Name: "mesh-inbound", ContainerPort: cfg.InboundPort})
		meta.Annotations[AnnotationInboundPort] = strconv.Itoa(int(cfg.InboundPort))
		role = "server-proxy"
	}
	if out := meta.Annotations[AnnotationOutbound]; out != "" {
		for _, o := range strings.Split(out, ",") {
			listen, upstream, ok := strings.Cut(strings.TrimSpace(o), "=")
			if _, err := strconv.Atoi(listen); !ok || err != nil || upstream == "" {
				return false, fmt.Errorf("%s %q: want PORT=HOST:PORT[,...]", AnnotationOutbound, out)
			}
			if cfg.ControlPlane == "" {
				args = append(args, "--outbound", "127.0.0.1:"+listen+"="+upstream)
			}
		}
		if role == "server-proxy" {
			role = "sidecar"
		} else {
			role = "client-proxy"
		}
	}
	id := cfg.ID
	if id == "" {
		id = role
	}
	args = append([]string{"--id", id}, args...)
	meta.Annotations[AnnotationRole] = role
	if meta.Annotations[AnnotationInboundPort] != "" {
		meta.Annotations[AnnotationProxyID] = id
	}
	ports = append(ports, corev1.ContainerPort{Name: "mesh-health", ContainerPort: cfg.HealthPort})
	c := corev1.Container{
		Name:            ContainerName,
		Image:           cfg.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            args,
		Ports:           ports,
		Resources:       cfg.Resources,
		ReadinessProbe: &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/ready", Port: intstr.FromInt32(cfg.HealthPort),
			}},
			PeriodSeconds: 1,
		},
	}
	ConnectControlPlane(spec, &c, cfg)
	spec.Containers = append(spec.Containers, c)
	return true, nil
}

// DefaultControlPlaneFlag is meshproxy's flag for the xDS address, used
// when Config.ControlPlaneFlag is empty (a Config that was not Normalized,
// as the ingress gateway's, gets it too).
const DefaultControlPlaneFlag = "--xds"

// ConnectControlPlane gives meshproxy container c (in pod spec) what it
// needs to talk to cfg's control plane, after the flags c already has: the
// xDS address, the CA token file (TokenAudience), the mesh root and server
// name to verify meshcontrol over TLS, then cfg.Args, GOMAXPROCS and
// cfg.Env. Sidecars (Pod) and the ingress gateway share it, so no proxy
// of the mesh can be started without TLS where the others have it.
func ConnectControlPlane(spec *corev1.PodSpec, c *corev1.Container, cfg Config) {
	if cfg.ControlPlaneFlag == "" {
		cfg.ControlPlaneFlag = DefaultControlPlaneFlag
	}
	if cfg.ControlPlane != "" {
		c.Args = append(c.Args, cfg.ControlPlaneFlag, cfg.ControlPlane)
		if cfg.TokenAudience != "" {
			c.Args = append(c.Args, "--xds-token-file", tokenFile)
			addProjectedToken(spec, c, cfg.TokenAudience)
		}
		if cfg.ControlPlaneRoot != "" {
			c.Args = append(c.Args, "--xds-ca", rootFile)
			if cfg.ControlPlaneServerName != "" {
				c.Args = append(c.Args, "--xds-server-name", cfg.ControlPlaneServerName)
			}
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: rootVolume, VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: cfg.ControlPlaneRoot}},
			}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: rootVolume, MountPath: rootMountPath, ReadOnly: true})
		}
	}
	c.Args = append(c.Args, cfg.Args...)
	if cfg.Workers > 0 {
		c.Env = append(c.Env, corev1.EnvVar{Name: "GOMAXPROCS", Value: strconv.Itoa(cfg.Workers)})
	}
	c.Env = append(c.Env, cfg.Env...)
}

// Service retargets a Service's ports that point at an injected pod's app
// port to the sidecar's inbound port. podLabels and podAnnotations are
// those of an injected pod (template); it reports whether it changed svc.
func Service(svc *corev1.Service, podLabels, podAnnotations map[string]string) bool {
	inbound, app := podAnnotations[AnnotationInboundPort], podAnnotations[AnnotationAppPort]
	if inbound == "" || app == "" || len(svc.Spec.Selector) == 0 {
		return false
	}
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != v {
			return false
		}
	}
	in, _ := strconv.Atoi(inbound)
	changed := false
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		target := p.TargetPort.String()
		if p.TargetPort.IntValue() == 0 && p.TargetPort.Type == intstr.Int {
			target = strconv.Itoa(int(p.Port)) // unset targetPort means port
		}
		if target == app {
			p.TargetPort = intstr.FromInt(in)
			changed = true
		}
	}
	return changed
}

// addProjectedToken mounts a service-account token minted for audience
// into the sidecar. The kubelet rotates it before it expires; meshproxy
// re-reads the file on every certificate request.
func addProjectedToken(spec *corev1.PodSpec, c *corev1.Container, audience string) {
	expiry := int64(3600)
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: tokenVolume, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
			ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: audience, ExpirationSeconds: &expiry, Path: "token"},
		}}},
	}})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: tokenVolume, MountPath: tokenMountPath, ReadOnly: true})
}
