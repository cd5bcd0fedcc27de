package kubeapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/meshbench/meshbench/internal/await"
)

// DefaultBinDir is where kind-config/node-image/build-binaries.sh (and so
// `make node-image` and `make istiod`) leaves etcd and kube-apiserver.
const DefaultBinDir = "/var/cache/meshbench/node-image/bin"

// BinDirEnv overrides DefaultBinDir.
const BinDirEnv = "MESHBENCH_KUBE_BIN"

// Binaries are the two programs a Server runs.
var Binaries = []string{"etcd", "kube-apiserver"}

// ErrNoBinaries is returned (wrapped, naming the path) when etcd or
// kube-apiserver is missing.
var ErrNoBinaries = errors.New("kube-apiserver or etcd binary missing")

// BinDir returns the directory holding etcd and kube-apiserver: $MESHBENCH_KUBE_BIN,
// else DefaultBinDir. It fails, naming the missing file and how to build
// it, when either is absent.
func BinDir() (string, error) {
	dir := os.Getenv(BinDirEnv)
	if dir == "" {
		dir = DefaultBinDir
	}
	for _, b := range Binaries {
		p := filepath.Join(dir, b)
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%w: no executable %s (build it with kind-config/node-image/build-binaries.sh or `make istiod`; $%s names another directory)", ErrNoBinaries, p, BinDirEnv)
		}
	}
	return dir, nil
}

// Options configure Start.
type Options struct {
	// BinDir holds etcd and kube-apiserver (see BinDir).
	BinDir string
	// Dir receives the kubeconfig and both processes' logs; it must exist.
	Dir string
	// Namespaces are created once the server answers.
	Namespaces []string
	// StartTimeout bounds each process's start (default 60 s: the machine
	// may be loaded).
	StartTimeout time.Duration
}

// Server is one running etcd + kube-apiserver pair. Stop it when done; it
// is not safe for concurrent Stop calls.
type Server struct {
	// Kubeconfig is the path of a kubeconfig for a system:masters user.
	Kubeconfig string
	// Config is the same credentials for clients in this process.
	Config *rest.Config
	cp     *envtest.ControlPlane
	binDir string
	logs   []*os.File
}

// Start runs etcd and kube-apiserver on free 127.0.0.1 ports, waits until
// the API server serves the default namespace, creates o.Namespaces and
// writes the kubeconfig. ctx bounds the whole start; on error nothing is
// left running.
func Start(ctx context.Context, o Options) (_ *Server, err error) {
	if o.BinDir == "" {
		return nil, fmt.Errorf("kubeapi: %w: no binary directory given", ErrNoBinaries)
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	// PIDs compares it with /proc/PID/exe: absolute, links resolved.
	binDir, err := filepath.Abs(o.BinDir)
	if err == nil {
		binDir, err = filepath.EvalSymlinks(binDir)
	}
	if err != nil {
		return nil, fmt.Errorf("kubeapi: %w: %w", ErrNoBinaries, err)
	}
	s := &Server{binDir: binDir}
	defer func() {
		if err != nil {
			_ = s.Stop() // the start's error is the one to report
		}
	}()
	out := func(name string) (*os.File, error) {
		f, err := os.Create(filepath.Join(o.Dir, name+".log"))
		if err != nil {
			return nil, fmt.Errorf("kubeapi: %w", err)
		}
		s.logs = append(s.logs, f)
		return f, nil
	}
	etcdLog, err := out("etcd")
	if err != nil {
		return nil, err
	}
	apiLog, err := out("kube-apiserver")
	if err != nil {
		return nil, err
	}
	s.cp = &envtest.ControlPlane{
		Etcd: &envtest.Etcd{Path: filepath.Join(binDir, "etcd"),
			StartTimeout: o.StartTimeout, StopTimeout: 10 * time.Second, Out: etcdLog, Err: etcdLog},
		APIServer: &envtest.APIServer{Path: filepath.Join(binDir, "kube-apiserver"),
			StartTimeout: o.StartTimeout, StopTimeout: 10 * time.Second, Out: apiLog, Err: apiLog},
	}
	started := make(chan error, 1)
	go func() { started <- s.cp.Start() }()
	select {
	case err = <-started:
	case <-ctx.Done():
		// Start cannot be interrupted; wait for it, then stop what it started.
		<-started
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("kubeapi: start etcd and kube-apiserver (logs in %s): %w", o.Dir, err)
	}
	user, err := s.cp.AddUser(envtest.User{Name: "meshbench", Groups: []string{"system:masters"}}, &rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		return nil, fmt.Errorf("kubeapi: admin user: %w", err)
	}
	s.Config = user.Config()
	kc, err := user.KubeConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeapi: kubeconfig: %w", err)
	}
	s.Kubeconfig = filepath.Join(o.Dir, "kubeconfig")
	if err := os.WriteFile(s.Kubeconfig, kc, 0o600); err != nil {
		return nil, fmt.Errorf("kubeapi: %w", err)
	}
	if err := s.createNamespaces(ctx, o.Namespaces); err != nil {
		return nil, err
	}
	return s, nil
}

// createNamespaces waits for the default namespace (the API server creates
// it shortly after it first serves), then creates each of names.
func (s *Server) createNamespaces(ctx context.Context, names []string) error {
	cs, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		return fmt.Errorf("kubeapi: client: %w", err)
	}
	err = await.Until(ctx, "the default namespace", 50*time.Millisecond, 30*time.Second, func(ctx context.Context) (bool, string, error) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, metav1.NamespaceDefault, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	for _, n := range names {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("kubeapi: namespace %s: %w", n, err)
		}
	}
	return nil
}

// Stop ends both processes and removes etcd's data (a temporary directory). Safe on a partly
// started Server.
func (s *Server) Stop() error {
	var err error
	if s.cp != nil {
		err = s.cp.Stop()
		s.cp = nil
	}
	for _, f := range s.logs {
		f.Close()
	}
	s.logs = nil
	return err
}
