package resilience

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// rawConnect opens a TCP connection with two system calls, socket(2) and a
// blocking connect(2) bounded by timeout (SO_SNDTIMEO), and returns the
// descriptor. A flood needs nothing more from a connection than that it is
// open: Go's dialer (non-blocking connect, poller registration, keepalive
// options, address lookups: a dozen system calls and about 80 us of CPU
// per connection here) took about three times the CPU, on the cores the
// load client, the app and the proxies under test share.
func rawConnect(ip net.IP, port int, timeout time.Duration) (int, error) {
	family, sa := syscall.AF_INET6, syscall.Sockaddr(nil)
	if ip4 := ip.To4(); ip4 != nil {
		a := &syscall.SockaddrInet4{Port: port}
		copy(a.Addr[:], ip4)
		family, sa = syscall.AF_INET, a
	} else {
		a := &syscall.SockaddrInet6{Port: port}
		copy(a.Addr[:], ip.To16())
		sa = a
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	tv := syscall.NsecToTimeval(timeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		_ = syscall.Close(fd)
		return -1, fmt.Errorf("connect timeout: %w", err)
	}
	for {
		err = syscall.Connect(fd, sa)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		_ = syscall.Close(fd)
		return -1, fmt.Errorf("connect: %w", err)
	}
	return fd, nil
}

// peerClosed reports, without blocking or consuming anything, whether the
// server has closed (FIN or reset) the connection fd.
func peerClosed(fd int) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
		return false
	}
	return err != nil || n == 0
}
