package vulndb

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	trivylog "github.com/aquasecurity/trivy-db/pkg/log"
	bolt "go.etcd.io/bbolt"
)

// compactTxMaxSize is how many bytes bolt.Compact copies per transaction.
const compactTxMaxSize = 64 << 20

// compact rewrites a bbolt file with only its live pages. bbolt never shrinks a
// file, and trivy-db's builder frees most of what it writes (its temporary
// buckets), so the Go database shrinks from about 45 MB to a few MiB.
func compact(path string) error {
	src, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("compacting %s: %w", path, err)
	}
	defer src.Close()
	tmp := path + ".compact"
	// NoGrowSync: the file ends at its last page instead of being truncated up to
	// bbolt's next allocation step.
	dst, err := bolt.Open(tmp, 0o644, &bolt.Options{Timeout: 5 * time.Second, NoGrowSync: true})
	if err != nil {
		return fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := bolt.Compact(dst, src, compactTxMaxSize); err != nil {
		dst.Close()
		return fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := src.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// setTrivyDBLogger sends trivy-db's warnings and errors to logf and drops its
// info lines. trivy-db logs through a package variable; callers hold trivyDBMu.
func setTrivyDBLogger(logf func(string, ...any)) {
	h := slog.NewTextHandler(logfWriter(logf), &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	trivylog.SetLogger(slog.New(h))
}

// logfWriter turns written lines into logf calls.
type logfWriter func(string, ...any)

func (w logfWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w("trivy-db: %s", line)
	}
	return len(p), nil
}
