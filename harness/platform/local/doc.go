// Package local is the default platform: every component of a lane (load
// client, app, proxies, control plane) runs as its own OS process on
// 127.0.0.1 ports, so its CPU and memory can be read from /proc. It needs no
// Docker. Each child gets its own process group and a parent-death signal,
// and Close stops every process the platform ever started, so an interrupted
// run leaves nothing behind.
package local
