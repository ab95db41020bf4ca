package test_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/distill-dev/distill/internal/vulndb"
	"github.com/distill-dev/distill/test/harness"
)

// BenchmarkGoVulnDBBuild builds the vulnerability database from the pinned
// golang.org/x/vulndb snapshot (the go command caches the download) and reports
// how long that takes and how big the database is.
func BenchmarkGoVulnDBBuild(b *testing.B) {
	harness.Integration(b)
	ctx := context.Background()
	begin := time.Now()
	osvDir, err := vulndb.DownloadGoVulnDB(ctx, vulndb.DefaultGoVulnDBVersion)
	if err != nil {
		b.Fatal(err)
	}
	download := time.Since(begin)
	out := filepath.Join(b.TempDir(), "vulndb")
	var db *vulndb.DB
	b.ResetTimer()
	begin = time.Now()
	for range b.N {
		if db, err = vulndb.BuildFromGoVulnDB(ctx, osvDir, out, vulndb.WithModuleVersion(vulndb.DefaultGoVulnDBVersion)); err != nil {
			b.Fatal(err)
		}
	}
	build := time.Since(begin) / time.Duration(b.N)
	b.StopTimer()
	size, err := db.Size()
	if err != nil {
		b.Fatal(err)
	}
	gz := vulndbGzipSize(b, filepath.Join(out, vulndb.DBFile))
	b.ReportMetric(build.Seconds(), "s-build")
	b.ReportMetric(float64(size)/(1<<20), "MiB-db")
	fmt.Printf("  go-vulndb %s: download %s (module cache), build %s, trivy.db %.2f MiB (%.2f MiB gzipped), %d advisories\n",
		vulndb.DefaultGoVulnDBVersion, download.Round(time.Millisecond), build.Round(time.Millisecond),
		float64(size)/(1<<20), float64(gz)/(1<<20), db.Info.Advisories)
}

func vulndbGzipSize(b *testing.B, path string) int64 {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var n vulndbByteCount
	zw := gzip.NewWriter(&n)
	if _, err := io.Copy(zw, f); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return int64(n)
}

type vulndbByteCount int64

func (c *vulndbByteCount) Write(p []byte) (int, error) {
	*c += vulndbByteCount(len(p))
	return len(p), nil
}
