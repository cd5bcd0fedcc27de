// Package ports hands out loopback ports for the processes the harness
// starts: below the kernel's ephemeral range, so that no outgoing
// connection can take a port between the harness choosing it and the child
// binding it.
package ports
