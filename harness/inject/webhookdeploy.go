package inject

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"text/template"
	"time"
)

// WebhookName is the injector's Service and webhook name.
const WebhookName = "meshbench-injector"

// NamespaceLabel opts a namespace in to webhook injection.
const NamespaceLabel = "meshbench.io/inject"

// WebhookOptions describe the webhook's deployment.
type WebhookOptions struct {
	Namespace string // where the injector runs (not itself opted in)
	Image     string // the meshbench image (the injector is `meshbench injector serve`)
	Sidecar   Config // what it injects
}

var webhookTmpl = template.Must(template.New("webhook").Parse(`# meshbench sidecar injector: pods created in namespaces labelled
# {{.Label}}=enabled and annotated {{.Annotation}}: "true" get meshproxy.
apiVersion: v1
kind: Namespace
metadata: {name: {{.NS}}}
---
apiVersion: v1
kind: Secret
metadata: {name: {{.Name}}-tls, namespace: {{.NS}}}
type: kubernetes.io/tls
data:
  tls.crt: {{.Cert}}
  tls.key: {{.Key}}
---
apiVersion: v1
kind: Service
metadata: {name: {{.Name}}, namespace: {{.NS}}}
spec:
  selector: {app: {{.Name}}}
  ports: [{name: https, port: 443, targetPort: 9443}]
---
apiVersion: v1
kind: Pod
metadata: {name: {{.Name}}, namespace: {{.NS}}, labels: {app: {{.Name}}}}
spec:
  containers:
    - name: injector
      image: {{.Image}}
      imagePullPolicy: IfNotPresent
      args: [{{.Args}}]
      ports: [{containerPort: 9443}]
      readinessProbe:
        tcpSocket: {port: 9443}
        periodSeconds: 1
      volumeMounts: [{name: tls, mountPath: /tls, readOnly: true}]
  volumes: [{name: tls, secret: {secretName: {{.Name}}-tls}}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: {{.Name}}}
webhooks:
  - name: sidecar.meshbench.io
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Fail
    timeoutSeconds: 5
    namespaceSelector:
      matchLabels: {"{{.Label}}": enabled}
    rules:
      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: Namespaced}
    clientConfig:
      caBundle: {{.CA}}
      service: {name: {{.Name}}, namespace: {{.NS}}, path: /inject, port: 443}
`))

// WebhookManifests renders everything the webhook needs, with a fresh CA
// and a serving certificate for the injector's Service.
func WebhookManifests(o WebhookOptions) (string, error) {
	if o.Namespace == "" || o.Image == "" || o.Sidecar.Image == "" {
		return "", fmt.Errorf("inject: webhook needs a namespace, the meshbench image and the sidecar image")
	}
	ca, cert, key, err := servingCert([]string{WebhookName, WebhookName + "." + o.Namespace, WebhookName + "." + o.Namespace + ".svc"})
	if err != nil {
		return "", err
	}
	args := []string{"injector", "serve", "--listen=0.0.0.0:9443", "--tls-cert=/tls/tls.crt", "--tls-key=/tls/tls.key", "--image=" + o.Sidecar.Image}
	if o.Sidecar.ControlPlane != "" {
		args = append(args, "--control-plane="+o.Sidecar.ControlPlane)
	}
	for i, a := range args {
		args[i] = fmt.Sprintf("%q", a)
	}
	b64 := base64.StdEncoding.EncodeToString
	var buf bytes.Buffer
	err = webhookTmpl.Execute(&buf, map[string]string{
		"NS": o.Namespace, "Name": WebhookName, "Image": o.Image, "Args": strings.Join(args, ", "),
		"Label": NamespaceLabel, "Annotation": AnnotationInject,
		"CA": b64(ca), "Cert": b64(cert), "Key": b64(key),
	})
	return buf.String(), err
}

// servingCert makes a CA and a certificate for the DNS names, signed by
// it, all PEM: the API server checks the webhook against the CA.
func servingCert(names []string) (caPEM, certPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "meshbench injector CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[len(names)-1]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
