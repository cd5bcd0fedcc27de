package startpages

import "syscall"

// dontNeed is madvise(MADV_DONTNEED) over an address range given as
// integers (the range is not Go memory, so no slice is made of it).
func dontNeed(addr, length uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, length, syscall.MADV_DONTNEED); e != 0 {
		return e
	}
	return nil
}
