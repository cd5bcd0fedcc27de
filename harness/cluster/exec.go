package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// NodeExec runs argv inside node container node of cluster name (kind's
// node command: docker exec) and returns its standard output. A node that
// is not one of that cluster's containers is refused, so the harness acts
// only inside containers of a kind cluster, never on another machine.
func (m *Manager) NodeExec(ctx context.Context, name, node string, argv ...string) (string, error) {
	n, err := m.node(name, node)
	if err != nil {
		return "", err
	}
	var stdout bytes.Buffer
	// kind's RunError keeps the combined output; withOutput adds its tail.
	if err := n.CommandContext(ctx, argv[0], argv[1:]...).SetStdout(&stdout).Run(); err != nil {
		return "", fmt.Errorf("node %s: %s: %w", node, strings.Join(argv, " "), withOutput(err))
	}
	return stdout.String(), nil
}

// node finds a node container of cluster name, listing the cluster's
// containers once per node (a fault's second signal, at its end, is one
// docker exec, not two docker commands).
func (m *Manager) node(name, node string) (nodes.Node, error) {
	key := name + "/" + node
	if n, ok := m.nodes.Load(key); ok {
		return n.(nodes.Node), nil
	}
	kn, err := m.provider.ListNodes(name)
	if err != nil {
		return nil, fmt.Errorf("list nodes of %q: %w", name, withOutput(err))
	}
	n, ok := nodeByName(kn, node)
	if !ok {
		return nil, fmt.Errorf("%q is not a node of kind cluster %q", node, name)
	}
	m.nodes.Store(key, n)
	return n, nil
}

// NodeIDs are the full Docker container IDs of cluster name's nodes.
func (m *Manager) NodeIDs(ctx context.Context, name string) ([]string, error) {
	byName, err := m.NodeContainers(ctx, name)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(byName))
	for _, id := range byName {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// NodeContainers maps each node of cluster name to its node container's
// full Docker ID.
func (m *Manager) NodeContainers(ctx context.Context, name string) (map[string]string, error) {
	kn, err := m.provider.ListNodes(name)
	if err != nil {
		return nil, fmt.Errorf("list nodes of %q: %w", name, withOutput(err))
	}
	if len(kn) == 0 {
		return nil, fmt.Errorf("kind cluster %q has no node containers", name)
	}
	args := []string{"inspect", "--format", "{{.Id}}"}
	for _, n := range kn {
		args = append(args, n.String())
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, withTail(fmt.Errorf("docker inspect the nodes of %q: %w", name, err), stderr.Bytes())
	}
	ids := strings.Fields(string(out))
	if len(ids) != len(kn) {
		return nil, fmt.Errorf("docker inspect the nodes of %q: %d IDs for %d nodes", name, len(ids), len(kn))
	}
	byName := map[string]string{}
	for i, n := range kn {
		byName[n.String()] = ids[i]
	}
	return byName, nil
}
