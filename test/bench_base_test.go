package test_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/test/harness"
)

// distroless holds the published sizes of Google's distroless Debian 12
// images that distill's runtime flavours replace: static-debian12 is "around
// 2 MiB" compressed (its README); base-debian12, the same packages as
// distill's base (libc6 and libssl3 on static), is about 20 MB unpacked. They
// cannot be pulled here (no registry), so they are fixed references.
var distroless = map[string]struct {
	compressed, unpacked int64
}{
	"static": {compressed: 2 << 20},
	"base":   {unpacked: 20 << 20},
}

func imageSizes(tb testing.TB, img v1.Image) (compressed, unpacked int64) {
	tb.Helper()
	layers, err := img.Layers()
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			tb.Fatal(err)
		}
		compressed += n
	}
	return compressed, unpackedSize(layerFiles(tb, img))
}

// BenchmarkBaseImages assembles every flavour from an empty cache (cold:
// index, downloads, assembly), then again from the warm cache, and reports
// sizes against distroless.
func BenchmarkBaseImages(b *testing.B) {
	harness.Integration(b)
	for _, f := range []string{"static", "base", "cc", "static:debug", "go", "python3", "nodejs", "node", "python"} {
		b.Run(f, func(b *testing.B) {
			cache := b.TempDir()
			svc, err := baseimage.New(baseimage.Config{CacheDir: cache, LockPath: filepath.Join(b.TempDir(), "distill.lock")})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			begin := time.Now()
			res, err := svc.Build(ctx, rootfs.Request{Flavour: f})
			if err != nil {
				b.Fatal(err)
			}
			cold := time.Since(begin)
			svc2, err := baseimage.New(baseimage.Config{CacheDir: cache})
			if err != nil {
				b.Fatal(err)
			}
			begin = time.Now()
			if _, err := svc2.Build(ctx, rootfs.Request{Flavour: f}); err != nil {
				b.Fatal(err)
			}
			warm := time.Since(begin)
			comp, unp := imageSizes(b, res.Image)
			b.ReportMetric(float64(comp)/(1<<20), "MiB-compressed")
			b.ReportMetric(float64(unp)/(1<<20), "MiB-unpacked")
			b.ReportMetric(cold.Seconds(), "s-cold")
			b.ReportMetric(warm.Seconds(), "s-warm")
			fmt.Printf("  %-13s %7.2f MiB compressed, %7.2f MiB unpacked, %3d packages; cold %s, warm %s\n",
				f, float64(comp)/(1<<20), float64(unp)/(1<<20), len(res.Packages), cold.Round(time.Millisecond), warm.Round(time.Millisecond))
			if ref, ok := distroless[f]; ok {
				if ref.compressed > 0 {
					fmt.Printf("  %-13s distroless %s-debian12: ~%.2f MiB compressed\n", "", f, float64(ref.compressed)/(1<<20))
					if comp > ref.compressed {
						b.Errorf("%s is %d bytes compressed, larger than distroless (%d)", f, comp, ref.compressed)
					}
				}
				if ref.unpacked > 0 {
					fmt.Printf("  %-13s distroless %s-debian12: ~%.0f MiB unpacked\n", "", f, float64(ref.unpacked)/(1<<20))
					if unp > ref.unpacked {
						b.Errorf("%s unpacks to %d bytes, larger than distroless (%d)", f, unp, ref.unpacked)
					}
				}
			}
			if warm >= cold {
				b.Errorf("the warm build (%s) was not faster than the cold one (%s)", warm, cold)
			}
		})
	}
}
