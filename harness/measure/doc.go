// Package measure samples the CPU and memory of components (processes or
// containers) over a measured window and turns the samples into the
// per-component cost a result records: CPU seconds, microseconds of CPU per
// request, vCPU per 1000 rps, and RSS steady (median) and peak. CPU keeps
// the time of threads that exit inside the window: a cgroup per component
// where one can be made, else /proc/PID/stat.
package measure
