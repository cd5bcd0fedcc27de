package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	kindlog "sigs.k8s.io/kind/pkg/log"
)

// kindLogger adapts slog to kind's logger: kind's V(0) status lines become
// Info, deeper levels Debug.
type kindLogger struct{ l *slog.Logger }

func (k kindLogger) Warn(msg string)                   { k.l.Warn(msg) }
func (k kindLogger) Warnf(f string, a ...interface{})  { k.l.Warn(fmt.Sprintf(f, a...)) }
func (k kindLogger) Error(msg string)                  { k.l.Error(msg) }
func (k kindLogger) Errorf(f string, a ...interface{}) { k.l.Error(fmt.Sprintf(f, a...)) }
func (k kindLogger) V(v kindlog.Level) kindlog.InfoLogger {
	lvl := slog.LevelInfo
	if v > 0 {
		lvl = slog.LevelDebug
	}
	return kindInfo{l: k.l, lvl: lvl}
}

type kindInfo struct {
	l   *slog.Logger
	lvl slog.Level
}

func (k kindInfo) Info(msg string) {
	k.l.Log(context.Background(), k.lvl, "kind: "+strings.TrimSpace(msg))
}
func (k kindInfo) Infof(f string, a ...interface{}) { k.Info(fmt.Sprintf(f, a...)) }
func (k kindInfo) Enabled() bool                    { return k.l.Enabled(context.Background(), k.lvl) }
