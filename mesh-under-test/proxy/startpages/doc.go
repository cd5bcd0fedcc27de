// Package startpages drops a process's page-table mappings of the pages of
// its own executable that it touched while starting, so its resident set
// shows what it keeps using rather than what it needed once.
//
// Why: about two thirds of meshproxy's resident memory after start-up are
// clean pages of its own binary (code and read-only data of the Envoy
// protos, flag parsing, configuration compilation), faulted in 64 KB at a
// time by the kernel's fault-around. madvise(MADV_DONTNEED) on those
// read-only private file mappings removes them from the process's page
// tables; nothing is lost (they are unmodified copies of the file, still in
// the page cache), and a page used again is mapped back by a minor fault.
// The steady RSS then counts only the binary's working set.
//
// Only mappings of the executable that are not writable and hold no
// copy-on-write page (Anonymous in smaps, e.g. PIE relocations) are
// touched: dropping a modified private page would lose the modification.
// Linux only; elsewhere Release does nothing.
package startpages
