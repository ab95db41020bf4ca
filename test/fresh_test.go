package test_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/test/harness"
)

// TestMakeDemoOnAFreshMachine runs the README's first command, `make demo`, on a new
// Debian 12 machine that has nothing but Go (test/fresh-machine.sh: debootstrap minbase
// + make, this machine's Go, CA bundle and apt sources, a clean clone of HEAD, own mount
// and PID namespaces). The first run must install the missing Debian packages, build
// buildkitd and trivy, start the engine, build, scan, sign and push the example and say
// where the image is, with no manual step; the second must redo none of it and give the
// same image. Go's module and build caches are the host's (they only make the tool
// builds shorter; `test/fresh-machine.sh --cold DIR` runs without them).
//
// It tests the committed HEAD: commit before running it on a work tree.
func TestMakeDemoOnAFreshMachine(t *testing.T) {
	harness.Integration(t)
	if os.Geteuid() != 0 {
		harness.Require(t, "root (chroot and namespaces for a fresh machine)", fmt.Errorf("running as uid %d", os.Geteuid()))
	}
	_, err := exec.LookPath("debootstrap")
	harness.Require(t, "debootstrap (make test installs it)", err)

	dir := t.TempDir()
	root := harness.RepoRoot(t)
	start := time.Now()
	cmd := exec.Command(filepath.Join(root, "test", "fresh-machine.sh"), dir)
	out, err := cmd.CombinedOutput()
	t.Logf("test/fresh-machine.sh (%s):\n%s", time.Since(start).Round(time.Second), out)
	run1 := readLog(t, filepath.Join(dir, "run1.log"))
	run2 := readLog(t, filepath.Join(dir, "run2.log"))
	if err != nil {
		t.Fatalf("make demo on a fresh machine: %v\n--- run 1 (last 60 lines)\n%s\n--- run 2 (last 60 lines)\n%s", err, tail(run1, 60), tail(run2, 60))
	}

	// Run 1 did every step itself.
	for _, want := range []string{
		"apt: installing runc dnsmasq-base iptables containernetworking-plugins",
		"tools: building buildkit ",
		"tools: building trivy ",
		"starting buildkitd (/root/.cache/distill/tools/bin/buildkitd)",
		"scans          ",
		"runtime image: oci:/root/distill/out/demo/go-app (OCI layout) and /root/distill/out/demo/go-app.tar (docker load)",
	} {
		if !strings.Contains(run1, want) {
			t.Errorf("run 1 does not say %q", want)
		}
	}
	demo := filepath.Join(dir, "rootfs", "root", "distill", "out", "demo")
	for _, f := range []string{"go-app/index.json", "go-app.tar", "reports/summary.md", "distill.lock"} {
		if _, err := os.Stat(filepath.Join(demo, f)); err != nil {
			t.Errorf("make demo said where the image is, but: %v", err)
		}
	}

	// Run 2 installed and built nothing, and made the same image.
	for _, want := range []string{
		"apt: runc dnsmasq-base iptables containernetworking-plugins present",
		"tools: buildkit v",
		"tools: trivy v",
	} {
		if !strings.Contains(run2, want) {
			t.Errorf("run 2 does not say %q", want)
		}
	}
	for _, unwanted := range []string{"apt: installing", "tools: building", "fetching Go go1"} {
		if strings.Contains(run2, unwanted) {
			t.Errorf("run 2 repeated work: %q", unwanted)
		}
	}
	d1, d2 := demoDigest(t, run1), demoDigest(t, run2)
	if d1 != d2 {
		t.Errorf("the two runs made different images: %s and %s", d1, d2)
	}
	t.Logf("fresh machine: make demo built and pushed %s; second run: same digest, nothing reinstalled or rebuilt", d1)
}

var demoDigestRE = regexp.MustCompile(`(?m)^digest +(sha256:[0-9a-f]{64})`)

func demoDigest(t *testing.T, log string) string {
	t.Helper()
	m := demoDigestRE.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no image digest in the make demo output:\n%s", tail(log, 40))
	}
	return m[1]
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
