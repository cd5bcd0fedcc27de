//go:build linux

package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Capture records request/response pairs on loopback for one server port.
type Capture struct {
	fd      int
	port    uint16
	stop    atomic.Bool
	done    chan struct{}
	mu      sync.Mutex
	pending map[uint16]int64 // client port -> first request byte's time (unix ns)
	samples []float64        // latencies, ms
	foreign int              // frames of other ports that got through the filter
}

// Start opens the capture on lo for TCP connections to port. It fails with
// the reason when the process may not capture (not root: no CAP_NET_RAW).
func Start(port int) (*Capture, error) {
	if port <= 0 || port > 65535 {
		return nil, fmt.Errorf("wire latency: port %d out of range", port)
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return nil, fmt.Errorf("wire latency: loopback interface: %w", err)
	}
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("wire latency: AF_PACKET socket needs CAP_NET_RAW (run as root): %w", err)
		}
		return nil, fmt.Errorf("wire latency: AF_PACKET socket: %w", err)
	}
	setup := func() error {
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
			return fmt.Errorf("bind to lo: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			return fmt.Errorf("SO_TIMESTAMPNS: %w", err)
		}
		// 1000 qps of small packets for a minute fits; drops would lose
		// pairs, never make one wrong (a pair needs both of its packets).
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
		// The reader wakes every 100 ms to see whether Stop was called.
		tv := unix.NsecToTimeval(100e6)
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	}
	err = setup()
	if err == nil {
		err = awaitStamps(fd, 5*time.Second)
	}
	if err == nil {
		// After the probe (another port): frames queued before it are
		// never paired, they are not to or from port.
		err = attachPortFilter(fd, uint16(port))
	}
	if err == nil {
		// Frames queued before the filter took hold: none is ours to pair.
		buf := make([]byte, 128)
		for {
			if _, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT); err != nil {
				break
			}
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("wire latency: %w", err)
	}
	c := &Capture{fd: fd, port: uint16(port), done: make(chan struct{}), pending: map[uint16]int64{}}
	go c.read()
	return c, nil
}

// Stop ends the capture and returns the latencies of the pairs seen, in
// milliseconds, in the order their responses crossed the wire.
func (c *Capture) Stop() []float64 {
	c.stop.Store(true)
	<-c.done
	unix.Close(c.fd)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.samples
}

func (c *Capture) read() {
	defer close(c.done)
	buf := make([]byte, 128) // headers only: lengths come from the IP header
	oob := make([]byte, 128)
	for !c.stop.Load() {
		c.recv(buf, oob, 0) // false: EAGAIN at the 100 ms timeout; EINTR
	}
	// Stop came: what already crossed the wire sits in the socket's buffer
	// when this goroutine lags (a loaded machine); read it all, so no pair
	// that completed before Stop is lost.
	for c.recv(buf, oob, unix.MSG_DONTWAIT) {
	}
}

// recv reads one frame and pairs it; false when nothing was read.
func (c *Capture) recv(buf, oob []byte, flags int) bool {
	n, oobn, _, from, err := unix.Recvmsg(c.fd, buf, oob, flags)
	if err != nil {
		return false
	}
	// Loopback shows each packet twice, as sent and as received: keep
	// the received copy, with its receive timestamp.
	if ll, ok := from.(*unix.SockaddrLinklayer); !ok || ll.Pkttype != unix.PACKET_HOST {
		return true
	}
	if ts, ok := timestamp(oob[:oobn]); ok {
		c.packet(buf[:n], ts)
	}
	return true
}

// packet pairs one Ethernet frame captured at ts (unix ns).
func (c *Capture) packet(b []byte, ts int64) {
	src, dst, payload, ok := parseTCP(b)
	if !ok || payload == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case dst == c.port:
		if c.pending[src] == 0 {
			c.pending[src] = ts
		}
	case src == c.port:
		if t := c.pending[dst]; t != 0 {
			c.samples = append(c.samples, float64(ts-t)/1e6)
			c.pending[dst] = 0
		}
	default:
		c.foreign++
	}
}

// parseTCP reads the ports and TCP payload length of an IPv4 or IPv6 TCP
// packet in an Ethernet frame (lo's frames have a 14-byte header).
func parseTCP(b []byte) (src, dst uint16, payload int, ok bool) {
	if len(b) < 14 {
		return 0, 0, 0, false
	}
	eth := binary.BigEndian.Uint16(b[12:14])
	ip := b[14:]
	var tcp []byte
	var ipPayload int
	switch eth {
	case unix.ETH_P_IP:
		if len(ip) < 20 || ip[9] != unix.IPPROTO_TCP {
			return 0, 0, 0, false
		}
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:4]))
		if ihl < 20 || len(ip) < ihl {
			return 0, 0, 0, false
		}
		tcp, ipPayload = ip[ihl:], total-ihl
	case unix.ETH_P_IPV6:
		if len(ip) < 40 || ip[6] != unix.IPPROTO_TCP {
			return 0, 0, 0, false // extension headers: not on loopback TCP
		}
		tcp, ipPayload = ip[40:], int(binary.BigEndian.Uint16(ip[4:6]))
	default:
		return 0, 0, 0, false
	}
	if len(tcp) < 20 {
		return 0, 0, 0, false
	}
	doff := int(tcp[12]>>4) * 4
	return binary.BigEndian.Uint16(tcp[0:2]), binary.BigEndian.Uint16(tcp[2:4]), ipPayload - doff, doff >= 20
}

// timestamp reads SCM_TIMESTAMPNS from a control message.
func timestamp(oob []byte) (int64, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return ts.Nano(), true
		}
	}
	return 0, false
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
