package ports

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Listening ports for the children come from below the kernel's ephemeral
// range. A port from 127.0.0.1:0 lies inside that range, and between the
// harness closing it and the child binding it, any outgoing connection (the
// load client alone opens 16 per run) can take it as its source port: a
// gate study lost its recording to "bind: address already in use" after
// ~40 runs. Outgoing connections never take ports below the range, and the
// picker walks it in order, so a port comes round again only after ~17,000
// others (its process long gone, or still listening: the bind probe sees
// that), and only another program's listener could still collide.
const lowestPort = 15000

var picker = struct {
	sync.Mutex
	next, end int
}{}

// Free returns a 127.0.0.1 address free to listen on.
func Free() (string, error) {
	picker.Lock()
	defer picker.Unlock()
	if picker.end == 0 {
		picker.end = ephemeralStart()
		if picker.end > lowestPort {
			// A random start keeps two meshbench processes apart.
			picker.next = lowestPort + rand.IntN(picker.end-lowestPort)
		}
	}
	span := picker.end - lowestPort
	for range max(span, 0) {
		port := picker.next
		if picker.next++; picker.next >= picker.end {
			picker.next = lowestPort
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken by someone else
		}
		ln.Close()
		return ln.Addr().String(), nil
	}
	// No room below the ephemeral range (or all of it listening):
	// fall back to the kernel's choice.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("ports: no free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// ephemeralStart is the first port of the kernel's ephemeral range (32768
// when it cannot be read: the Linux default).
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 32768
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return lo
}
