package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wirebook/wirebook/protocols"
)

// limitSettings are the bounds a lab's sessions run under: what is kept of
// each session, how long one may wait, and how long a block and a lab may
// take in all. Defaults: DefaultLimits below; a lab's front matter
// "limits:" and then the --limit flags override them by name.
type limitSettings struct {
	lineBytes, sessionBytes, sessionLines, payloadBytes int64
	readTimeout, blockDeadline, labDeadline             time.Duration
}

// defaultLimits are the documented defaults (docs/lab-format.md).
var defaultLimits = limitSettings{
	lineBytes:     int64(protocols.DefaultLimits.MaxLine),
	sessionBytes:  protocols.DefaultLimits.MaxBytes,
	sessionLines:  int64(protocols.DefaultLimits.MaxLines),
	payloadBytes:  protocols.DefaultLimits.MaxPayload,
	readTimeout:   protocols.DefaultLimits.ReadTimeout,
	blockDeadline: 60 * time.Second,
	labDeadline:   10 * time.Minute,
}

// limitNames are the names of the settings, for front matter and --limit.
var limitNames = map[string]func(*limitSettings) any{
	"line_bytes":     func(l *limitSettings) any { return &l.lineBytes },
	"session_bytes":  func(l *limitSettings) any { return &l.sessionBytes },
	"session_lines":  func(l *limitSettings) any { return &l.sessionLines },
	"payload_bytes":  func(l *limitSettings) any { return &l.payloadBytes },
	"read_timeout":   func(l *limitSettings) any { return &l.readTimeout },
	"block_deadline": func(l *limitSettings) any { return &l.blockDeadline },
	"lab_deadline":   func(l *limitSettings) any { return &l.labDeadline },
}

// apply sets the named values, checking each.
func (l limitSettings) apply(values map[string]string) (limitSettings, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field, ok := limitNames[k]
		if !ok {
			return l, fmt.Errorf("unknown limit %q (known: %s)", k, strings.Join(sortedLimitNames(), ", "))
		}
		v := strings.TrimSpace(values[k])
		switch p := field(&l).(type) {
		case *int64:
			n, err := parseSize(v)
			if err != nil || n <= 0 {
				return l, fmt.Errorf("limit %s: %q is not a positive number (a size may end in KiB or MiB)", k, v)
			}
			*p = n
		case *time.Duration:
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return l, fmt.Errorf("limit %s: %q is not a duration such as 30s", k, v)
			}
			*p = d
		}
	}
	return l, nil
}

func sortedLimitNames() []string {
	var out []string
	for k := range limitNames {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func parseSize(v string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, ok := strings.CutSuffix(v, suffix); ok {
			v, mult = strings.TrimSpace(n), m
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size")
	}
	return n * mult, nil
}

// CheckLimits reports an error for --limit values that are not valid.
func CheckLimits(values map[string]string) error {
	_, err := defaultLimits.apply(values)
	return err
}

// wire is the Wire's share of the settings, with the block's deadline.
func (l limitSettings) wire(readTimeout time.Duration, deadline time.Time, deadlineName string) protocols.Limits {
	return protocols.Limits{
		MaxLine: int(min(l.lineBytes, 1<<30)), MaxBytes: l.sessionBytes, MaxLines: int(min(l.sessionLines, 1<<30)),
		MaxPayload: l.payloadBytes, ReadTimeout: readTimeout, Deadline: deadline, DeadlineName: deadlineName,
	}
}
