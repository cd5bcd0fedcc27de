//go:build linux

package wire

import (
	"fmt"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// attachPortFilter makes the kernel queue only TCP frames to or from port
// on the capture socket ("tcp port N" in tcpdump's words, IPv4 and IPv6).
// Without it every frame on lo is queued: other processes' bulk loopback
// traffic (64 KB frames) filled the receive buffer while the reader lagged
// on a loaded machine, and pairs were lost (38 of 40 requests paired).
func attachPortFilter(fd int, port uint16) error {
	p := uint32(port)
	const accept, drop = 128, 0 // headers only: lengths come from the IP header
	prog, err := bpf.Assemble([]bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 12, Size: 2}, // ethertype
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IP, SkipFalse: 9},
		// IPv4: TCP, not a later fragment, ports after the IP header.
		/* 2 */ bpf.LoadAbsolute{Off: 14 + 9, Size: 1},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.IPPROTO_TCP, SkipFalse: 15},
		/* 4 */ bpf.LoadAbsolute{Off: 14 + 6, Size: 2},
		/* 5 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 13},
		/* 6 */ bpf.LoadMemShift{Off: 14},
		/* 7 */ bpf.LoadIndirect{Off: 14, Size: 2},
		/* 8 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 9},
		/* 9 */ bpf.LoadIndirect{Off: 16, Size: 2},
		/* 10 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 7, SkipFalse: 8},
		// 1's false branch lands here: IPv6 with TCP as its next header.
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IPV6, SkipFalse: 7},
		/* 12 */ bpf.LoadAbsolute{Off: 14 + 6, Size: 1},
		/* 13 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.IPPROTO_TCP, SkipFalse: 5},
		/* 14 */ bpf.LoadAbsolute{Off: 14 + 40, Size: 2},
		/* 15 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 2},
		/* 16 */ bpf.LoadAbsolute{Off: 14 + 42, Size: 2},
		/* 17 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipFalse: 1},
		/* 18 */ bpf.RetConstant{Val: accept},
		/* 19 */ bpf.RetConstant{Val: drop},
	})
	if err != nil {
		return fmt.Errorf("port filter: %w", err)
	}
	f := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &f); err != nil {
		return fmt.Errorf("port filter: %w", err)
	}
	return nil
}
