// Package outdir claims a run's output directory before the first run: it
// makes the directory, proves that it can be written and has room, and
// holds an exclusive lock on it for as long as the command runs, so that an
// unwritable or full directory fails before anything starts (not after the
// first hour of measurements) and two commands never write into the same
// directory at once.
//
// The lock is flock(2) on OutDir/.meshbench.lock: the kernel drops it when
// its holder exits, however it exits, so a crashed or SIGKILLed run never
// leaves a stale lock behind. The file's content (the holder's pid and
// command) is only for the error message of the one that was refused.
package outdir
