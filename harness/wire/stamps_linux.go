//go:build linux

package wire

import (
	"errors"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// awaitStamps returns once the kernel stamps frames when they cross lo.
// SO_TIMESTAMPNS turns receive timestamps on for the whole kernel from a
// work queue, some time later; until then a frame without a stamp is
// stamped when it is read. On a loaded machine the capture's reader lags,
// and such late stamps paired a response sooner after its request than
// the server's own delay (TestWireLatencyOfAKnownDelay, 1 run in 3 at a
// load average of 20). So: send a probe over a loopback TCP connection,
// read its frame 20 ms later, and accept the stamp only when it is the
// sending time, not the reading time. The frames read here (other
// traffic on lo) precede the capture and are discarded.
func awaitStamps(fd int, timeout time.Duration) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer conn.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	buf, oob := make([]byte, 128), make([]byte, 128)
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); {
		sent := time.Now().UnixNano()
		if _, err := conn.Write([]byte("wire-probe")); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond) // a reader that lags: the stamp must not move
		for {
			n, oobn, _, from, err := unix.Recvmsg(fd, buf, oob, unix.MSG_DONTWAIT)
			if err != nil {
				break // drained
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); !ok || ll.Pkttype != unix.PACKET_HOST {
				continue
			}
			if _, dst, payload, ok := parseTCP(buf[:n]); !ok || dst != port || payload == 0 {
				continue
			}
			if ts, ok := timestamp(oob[:oobn]); ok && ts-sent < int64(10*time.Millisecond) {
				return nil
			}
		}
	}
	return errors.New("the kernel never stamped loopback frames as they crossed")
}
