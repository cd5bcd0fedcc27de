//go:build !linux

package wire

import (
	"errors"
	"runtime"
)

// Capture is unavailable off Linux.
type Capture struct{}

// Start always fails off Linux: AF_PACKET is Linux's.
func Start(port int) (*Capture, error) {
	return nil, errors.New("wire latency: packet capture needs Linux (AF_PACKET), this is " + runtime.GOOS)
}

// Stop returns nothing.
func (c *Capture) Stop() []float64 { return nil }
