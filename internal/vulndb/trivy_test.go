package vulndb

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	ggcrtypes "github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distill-dev/distill/test/harness"
)

// These tests use the network through the go command (golang.org/x/vulndb, a Go
// toolchain) and the trivy that "make setup" builds; they are skipped under -short.

func needTrivy(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs trivy and the go command's module downloads: skipped under -short")
	}
	trivy, err := FindTrivy()
	harness.Require(t, "trivy (make tools)", err)
	return trivy
}

// The pinned golang.org/x/vulndb snapshot builds into a small database that holds
// every stdlib advisory.
func TestGoVulnDBSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads " + GoVulnDBModule + " through the go command: skipped under -short")
	}
	ctx := context.Background()
	start := time.Now()
	osvDir, err := DownloadGoVulnDB(ctx, DefaultGoVulnDBVersion)
	if err != nil {
		t.Fatal(err)
	}
	downloaded := time.Since(start)
	start = time.Now()
	db, err := BuildFromGoVulnDB(ctx, osvDir, filepath.Join(t.TempDir(), "vulndb"))
	if err != nil {
		t.Fatal(err)
	}
	built := time.Since(start)
	size, err := db.Size()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("download (module cache) %s, build %s, trivy.db %.2f MiB, %d advisories, source %s",
		downloaded.Round(time.Millisecond), built.Round(time.Millisecond), float64(size)/(1<<20), db.Info.Advisories, db.Info.Source)

	if want := "go-vulndb golang.org/x/vulndb@" + DefaultGoVulnDBVersion; db.Info.Source != want {
		t.Errorf("Source = %q, want %q", db.Info.Source, want)
	}
	if want := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC); !db.Info.UpdatedAt.Equal(want) {
		t.Errorf("UpdatedAt = %s, want %s", db.Info.UpdatedAt, want)
	}
	if db.Info.Advisories < 4000 {
		t.Errorf("%d advisories, want the whole Go database (> 4000)", db.Info.Advisories)
	}
	if size > 16<<20 {
		t.Errorf("trivy.db is %d bytes: not compacted?", size)
	}
	advs, _ := readGoAdvisories(t, db.Dir, "stdlib", "toolchain", "github.com/gorilla/websocket")
	t.Logf("stdlib: %d advisories, github.com/gorilla/websocket: %d", len(advs["stdlib"]), len(advs["github.com/gorilla/websocket"]))
	if n := len(advs["stdlib"]); n < 180 {
		t.Errorf("stdlib has %d advisories, want >= 180", n)
	}
	if n := len(advs["toolchain"]); n != 0 {
		t.Errorf("toolchain has %d advisories, want 0", n)
	}
	if n := len(advs["github.com/gorilla/websocket"]); n == 0 {
		t.Error("no advisory for github.com/gorilla/websocket: third-party modules dropped")
	}
}

// The pinned trivy reads the database offline and reports the stdlib of a binary
// built with go1.21.0 with UNKNOWN severities. trivy wants <cache-dir>/db/trivy.db,
// so the database is built into <cache>/db.
func TestTrivyScansWithGoVulnDB(t *testing.T) {
	trivy := needTrivy(t)
	ctx := context.Background()
	osvDir, err := DownloadGoVulnDB(ctx, DefaultGoVulnDBVersion)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if _, err := BuildFromGoVulnDB(ctx, osvDir, filepath.Join(cache, "db")); err != nil {
		t.Fatal(err)
	}

	rootfs := t.TempDir()
	buildOldGoBinary(t, filepath.Join(rootfs, "usr", "local", "bin", "hello"))

	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.CommandContext(ctx, trivy, "rootfs", "--cache-dir", cache, "--cache-backend", "memory",
		"--skip-db-update", "--skip-java-db-update", "--offline-scan", "--skip-version-check", "--disable-telemetry",
		"--scanners", "vuln", "--format", "json", "--output", report, rootfs)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("trivy: %v\n%s", err, out)
	}
	t.Logf("trivy rootfs took %s", time.Since(start).Round(time.Millisecond))
	var r struct {
		Results []struct {
			Target, Type    string
			Vulnerabilities []struct {
				VulnerabilityID, PkgName, InstalledVersion, Severity string
			}
		}
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	stdlib, severities := 0, map[string]int{}
	for _, res := range r.Results {
		for _, v := range res.Vulnerabilities {
			severities[v.Severity]++
			if v.PkgName == "stdlib" && v.InstalledVersion == "v1.21.0" {
				stdlib++
			}
		}
	}
	t.Logf("stdlib v1.21.0 findings: %d, by severity: %v", stdlib, severities)
	if stdlib < 80 {
		t.Errorf("%d stdlib findings, want >= 80", stdlib)
	}
	if len(severities) != 1 || severities["UNKNOWN"] == 0 {
		t.Errorf("severities %v, want UNKNOWN only: the Go database has none and distill invents none", severities)
	}
}

// buildOldGoBinary builds a hello program with Go 1.21.0, which the go command
// fetches as the golang.org/toolchain module.
func buildOldGoBinary(t *testing.T, out string) {
	t.Helper()
	src := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":  "module example.com/hello\n\ngo 1.21\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=go1.21.0", "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-buildvcs=false")
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build with go1.21.0: %v\n%s", err, b)
	}
	t.Logf("built %s with go1.21.0 in %s", filepath.Base(out), time.Since(start).Round(time.Millisecond))
}

// Update runs the real trivy against a registry in this process that serves a
// database the way published trivy DBs are served (one tar.gz layer).
func TestUpdateWithTrivyFromLocalRegistry(t *testing.T) {
	trivy := needTrivy(t)
	ctx := context.Background()
	built := filepath.Join(t.TempDir(), "built")
	if _, err := BuildFromGoVulnDB(ctx, writeOSV(t, false), built); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/distill/trivy-db:2"
	pushTrivyDB(t, repo, tarGz(t, built, DBFile, MetadataFile))

	out := filepath.Join(t.TempDir(), "vulndb")
	db, err := Update(ctx, trivy, out, repo, WithLogf(t.Logf))
	if err != nil {
		t.Fatal(err)
	}
	if want := "trivy-db " + repo; db.Info.Source != want || db.Info.Advisories != 2 || !db.Info.Covers("go") {
		t.Errorf("Info = %+v", db.Info)
	}
	md, err := readMetadata(out)
	if err != nil {
		t.Fatal(err)
	}
	if md.DownloadedAt.IsZero() {
		t.Error("trivy did not record DownloadedAt: not its download path?")
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "distill-db.json metadata.json trivy.db" {
		t.Errorf("%s holds %v, want the database files only", out, names)
	}

	// Nothing listens on port 1.
	_, err = Update(ctx, trivy, out, "127.0.0.1:1/trivy-db:2")
	var derr *DownloadError
	if !errors.As(err, &derr) || !derr.Unreachable || !strings.Contains(err.Error(), "db build --from-go-vulndb") {
		t.Errorf("unreachable registry: %v", err)
	}
	if _, err := Open(out); err != nil {
		t.Errorf("the failed update damaged the installed database: %v", err)
	}
}

// pushTrivyDB pushes a db.tar.gz as trivy's OCI artifact.
func pushTrivyDB(t *testing.T, repo string, tgz []byte) {
	t.Helper()
	ref, err := name.ParseReference(repo)
	if err != nil {
		t.Fatal(err)
	}
	layer := static.NewLayer(tgz, "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip")
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer: layer, Annotations: map[string]string{"org.opencontainers.image.title": "db.tar.gz"},
	})
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, ggcrtypes.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, "application/vnd.aquasec.trivy.config.v1+json")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
}
