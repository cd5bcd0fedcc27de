//go:build linux

package wire

import (
	"context"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"

	"github.com/meshbench/meshbench/internal/await"
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
	// Start has no context: the bound alone ends this wait.
	return await.Until(context.Background(), "the kernel to stamp loopback frames as they cross", time.Millisecond, timeout,
		func(context.Context) (bool, string, error) {
			sent := time.Now().UnixNano()
			if _, err := conn.Write([]byte("wire-probe")); err != nil {
				return false, "", err
			}
			time.Sleep(20 * time.Millisecond) // a reader that lags: the stamp must not move
			state := "no probe frame read"
			for {
				n, oobn, _, from, err := unix.Recvmsg(fd, buf, oob, unix.MSG_DONTWAIT)
				if err != nil {
					return false, state, nil // drained
				}
				if ll, ok := from.(*unix.SockaddrLinklayer); !ok || ll.Pkttype != unix.PACKET_HOST {
					continue
				}
				if _, dst, payload, ok := parseTCP(buf[:n]); !ok || dst != port || payload == 0 {
					continue
				}
				ts, ok := timestamp(oob[:oobn])
				switch {
				case !ok:
					state = "a probe frame without a stamp"
				case ts-sent < int64(10*time.Millisecond):
					return true, "", nil
				default:
					state = fmt.Sprintf("a probe frame stamped %s after it was sent (when read)", time.Duration(ts-sent))
				}
			}
		})
}
