package llbgen

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/pipeline/spec"
)

// The scan stages: the runtime of every platform and the requested stages,
// trivy offline over a read-only mount, no network, three outputs.
func TestScanJobs(t *testing.T) {
	s := twoPlatformGo()
	s.Scan = &spec.Scan{Stages: []string{"build"}}
	s.Policy = &spec.Policy{Stages: map[string]string{"build": "gate"}}
	prog, _ := generate(t, s, Options{})
	var labels []string
	for _, j := range prog.Scans {
		labels = append(labels, j.Label(true))
	}
	if strings.Join(labels, ",") != "runtime linux/amd64,runtime linux/arm64,build" {
		t.Fatalf("scan jobs %v", labels)
	}
	if !prog.Scans[0].Gate || !prog.Scans[2].Gate {
		t.Errorf("gates: %+v", prog.Scans)
	}
	if prog.Scans[2].Platform != (plan.Platform{OS: "linux", Arch: "amd64"}) {
		t.Errorf("the build stage is scanned for %v", prog.Scans[2].Platform)
	}

	vs := Vertices(t, prog.Scans[1].Outputs)
	rootfs, _ := execNamed(t, vs, "[scan runtime linux/arm64] trivy rootfs")
	args := rootfs.Meta.Args
	for _, flag := range []string{"--skip-db-update", "--skip-java-db-update", "--offline-scan", "--skip-version-check", "--disable-telemetry", "--list-all-pkgs"} {
		if !slices.Contains(args, flag) {
			t.Errorf("trivy rootfs lacks %s: %q", flag, args)
		}
	}
	if args[0] != ScannerBinary || args[len(args)-1] != "/target" {
		t.Errorf("args %q", args)
	}
	if rootfs.Network != pb.NetMode_NONE {
		t.Errorf("the scan has network %v", rootfs.Network)
	}
	var target, db *pb.Mount
	for _, m := range rootfs.Mounts {
		switch m.Dest {
		case "/target":
			target = m
		case "/trivy-cache/db":
			db = m
		}
	}
	if target == nil || !target.Readonly || db == nil || !db.Readonly {
		t.Fatalf("mounts: target %v db %v", target, db)
	}
	for _, name := range []string{"[scan runtime linux/arm64] trivy convert --format cyclonedx", "[scan runtime linux/arm64] trivy convert --format spdx-json"} {
		if _, v := execNamed(t, vs, name); v.Op == nil {
			t.Errorf("no %s", name)
		}
	}

	s.Scan = &spec.Scan{Skip: true}
	s.Policy = nil
	if prog, _ := generate(t, s, Options{}); len(prog.Scans) != 0 {
		t.Errorf("scans with scan.skip: %d", len(prog.Scans))
	}
}

func TestScansNeedAScanner(t *testing.T) {
	g, err := plan.Compile(twoPlatformGo())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(g, &FakeBases{}, Options{}); err == nil || !strings.Contains(err.Error(), "no scanner") {
		t.Fatalf("got %v", err)
	}
}
