package telemetry

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// AccessLog writes one structured record per sampled request. A nil
// *AccessLog logs nothing.
type AccessLog struct {
	log        *slog.Logger
	perMillion uint32
}

// NewAccessLog logs the given fraction (0..1) of requests to log.
func NewAccessLog(log *slog.Logger, fraction float64) *AccessLog {
	if log == nil || fraction <= 0 {
		return nil
	}
	return &AccessLog{log: log, perMillion: uint32(min(fraction, 1) * 1e6)}
}

// Sampled draws whether this request is logged.
func (a *AccessLog) Sampled() bool {
	return a != nil && (a.perMillion >= 1_000_000 || rand.Uint32N(1_000_000) < a.perMillion)
}

// Entry is one access-log record.
type Entry struct {
	Listener, Method, Path, Authority, Protocol string
	Source, Cluster, Upstream, Flags            string
	Status                                      int
	ReqBytes, RespBytes                         int64
	Duration                                    time.Duration
	Attempts                                    int
	TraceID                                     string
}

// Write logs e.
func (a *AccessLog) Write(e *Entry) {
	a.log.LogAttrs(context.Background(), slog.LevelInfo, "access",
		slog.String("listener", e.Listener), slog.String("protocol", e.Protocol),
		slog.String("method", e.Method), slog.String("authority", e.Authority), slog.String("path", e.Path),
		slog.Int("status", e.Status), slog.String("flags", e.Flags),
		slog.String("source", e.Source), slog.String("cluster", e.Cluster), slog.String("upstream", e.Upstream),
		slog.Int64("request_bytes", e.ReqBytes), slog.Int64("response_bytes", e.RespBytes),
		slog.Duration("duration", e.Duration), slog.Int("attempts", e.Attempts), slog.String("trace_id", e.TraceID))
}
