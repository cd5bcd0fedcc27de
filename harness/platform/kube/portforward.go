package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// PortForward opens a local listener on 127.0.0.1 forwarded to port inside
// pod ns/name (kubectl port-forward: it reaches the pod's loopback, where a
// sidecar's admin server listens) and returns its address and a stop func.
type PortForward func(ctx context.Context, ns, pod string, port int) (addr string, stop func(), err error)

// spdyPortForward is PortForward through the API server of cfg, with
// client-go's port-forward client.
func spdyPortForward(cfg *rest.Config) PortForward {
	return func(ctx context.Context, ns, pod string, port int) (string, func(), error) {
		rt, upgrader, err := spdy.RoundTripperFor(cfg)
		if err != nil {
			return "", nil, fmt.Errorf("port-forward %s/%s: %w", ns, pod, err)
		}
		u, err := url.Parse(fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s/portforward", strings.TrimSuffix(cfg.Host, "/"), ns, pod))
		if err != nil {
			return "", nil, fmt.Errorf("port-forward %s/%s: %w", ns, pod, err)
		}
		dialer := spdy.NewDialer(upgrader, &http.Client{Transport: rt}, http.MethodPost, u)
		stopCh, ready := make(chan struct{}), make(chan struct{})
		fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", port)}, stopCh, ready, io.Discard, io.Discard)
		if err != nil {
			return "", nil, fmt.Errorf("port-forward %s/%s: %w", ns, pod, err)
		}
		done := make(chan error, 1)
		go func() { done <- fw.ForwardPorts() }()
		stop := func() { close(stopCh); <-done }
		select {
		case <-ready:
		case err := <-done:
			return "", nil, fmt.Errorf("port-forward %s/%s:%d: %w", ns, pod, port, err)
		case <-ctx.Done():
			stop()
			return "", nil, ctx.Err()
		}
		ports, err := fw.GetPorts()
		if err != nil || len(ports) != 1 {
			stop()
			return "", nil, fmt.Errorf("port-forward %s/%s:%d: no local port (%v)", ns, pod, port, err)
		}
		return fmt.Sprintf("127.0.0.1:%d", ports[0].Local), stop, nil
	}
}
