// Package rawconn makes TCP reads and writes cheaper for a proxy at
// moderate request rates: Wrap returns a net.Conn whose Read and Write issue
// raw system calls from inside the runtime poller's hooks
// (syscall.RawConn), skipping the scheduler's syscall bookkeeping and the
// sysmon wake-ups it causes. Only reads and writes change; deadlines,
// Close, splice (ReadFrom) and everything else are the *net.TCPConn's.
// A wrapped conn, like any net.Conn, is not for concurrent Reads (or
// concurrent Writes).
package rawconn
