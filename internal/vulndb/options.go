package vulndb

import (
	"fmt"
	"time"
)

// Option configures BuildFromGoVulnDB, Import and Update.
type Option func(*options) error

type options struct {
	moduleVersion  string
	updateInterval time.Duration
	logf           func(format string, args ...any)
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{updateInterval: 24 * time.Hour, logf: func(string, ...any) {}}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithModuleVersion names the golang.org/x/vulndb version an OSV directory comes
// from (BuildFromGoVulnDB). It goes into Info.Source and dates the snapshot when
// its entries carry no modified time. Without it the version is read from a
// module cache path (…/golang.org/x/vulndb@VERSION/data/osv).
func WithModuleVersion(version string) Option {
	return func(o *options) error {
		if _, err := pseudoVersionTime(version); err != nil {
			return err
		}
		o.moduleVersion = version
		return nil
	}
}

// WithUpdateInterval sets NextUpdate = UpdatedAt + d in a built database's
// metadata.json (BuildFromGoVulnDB; default 24h).
func WithUpdateInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("update interval %s: want a positive duration", d)
		}
		o.updateInterval = d
		return nil
	}
}

// WithLogf receives progress lines (and, from Update, trivy's output).
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *options) error {
		if logf != nil {
			o.logf = logf
		}
		return nil
	}
}
