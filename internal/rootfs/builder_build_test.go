package rootfs_test

import (
	"archive/tar"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/toolchain"
)

// The debian builder is minbase (every Priority: required or Essential
// package but apt) plus its roots, with maintainer-script dependencies
// installed (builders keep them).
var debianPackages = map[string]string{
	"base-files": "debian", "base-passwd": "debian", "ca-certificates": "debian", "dash": "debian",
	"debconf": "debian", "dpkg": "debian", "gcc": "debian", "git": "debian", "libc6": "debian", "libc6-dev": "debian",
	"make": "debian", "mawk": "debian", "openssl": "debian", "tzdata": "debian", "usr-is-merged": "debian",
}

func TestDebianBuilder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.build(w.assembler(), "debian")
	ls := layers(t, res.Image)
	if len(ls) != 1 {
		t.Fatalf("debian has %d layers, want 1", len(ls))
	}
	fs := ls[0]
	wantInstalled(t, res, debianPackages)
	for _, p := range []string{"usr/bin/apt-get", "var/lib/dpkg/status.d/apt"} {
		if _, ok := fs[p]; ok {
			t.Errorf("%s: apt is Priority required but must not be installed", p)
		}
	}

	// Accounts come from base-passwd's master files, plus nonroot.
	wantFile(t, fs, "etc/passwd", passwdMaster+"nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n", 0o644)
	wantFile(t, fs, "etc/group", groupMaster+"nonroot:x:65532:\n", 0o644)
	wantDir(t, fs, "home/nonroot", 0o700, 65532, 65532)
	wantDir(t, fs, "tmp", 0o1777, 0, 0)

	// What the maintainer scripts would have made: alternatives whose target
	// exists (the manual page slave's target was dropped), the CA bundle.
	wantSymlink(t, fs, "etc/alternatives/awk", "/usr/bin/mawk")
	wantSymlink(t, fs, "usr/bin/awk", "/etc/alternatives/awk")
	wantSymlink(t, fs, "etc/alternatives/nawk", "/usr/bin/mawk")
	wantSymlink(t, fs, "usr/bin/nawk", "/etc/alternatives/nawk")
	wantSymlink(t, fs, "etc/alternatives/cc", "/usr/bin/gcc")
	wantSymlink(t, fs, "usr/bin/cc", "/etc/alternatives/cc")
	for _, p := range []string{"etc/alternatives/awk.1.gz", "usr/share/man/man1/awk.1.gz"} {
		if _, ok := fs[p]; ok {
			t.Errorf("%s: alternative to a dropped manual page created", p)
		}
	}
	wantFile(t, fs, "etc/ssl/certs/ca-certificates.crt", certA+certB+"\n", 0o644)

	// Merged /usr applies to builders too.
	wantSymlink(t, fs, "bin", "usr/bin")
	wantFile(t, fs, "usr/bin/dash", "\x7fELF dash", 0o755)
	wantSymlink(t, fs, "usr/bin/sh", "dash")
	wantFile(t, fs, "usr/include/stdio.h", "int printf(const char *, ...);\n", 0o644)

	for name := range debianPackages {
		d, _ := w.deb(name)
		wantStatus(t, fs, d)
	}

	c := configFile(t, res.Image).Config
	if c.User != "" || c.WorkingDir != "/" || len(c.Entrypoint) != 0 {
		t.Errorf("config: user %q workdir %q entrypoint %q", c.User, c.WorkingDir, c.Entrypoint)
	}
	if len(c.Env) == 0 || !strings.HasPrefix(c.Env[0], "PATH=/usr/local/sbin:") {
		t.Errorf("Env = %q", c.Env)
	}
	wantNormalised(t, res, epoch0)
}

func TestGoBuilder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	deb := w.build(a, "debian")
	res := w.build(a, "go")

	dd, gd := layerDigests(t, deb.Image), layerDigests(t, res.Image)
	if len(gd) != 2 || gd[0] != dd[0] {
		t.Fatalf("go layers %v, want debian's %v plus the toolchain", gd, dd)
	}
	wantInstalled(t, res, debianPackages)
	if res.Toolchain == nil || res.Toolchain.Version != fakeGoVersion {
		t.Fatalf("Toolchain = %+v", res.Toolchain)
	}

	// Module zips carry no modes: bin/ and pkg/tool/<os>_<arch>/ are
	// executable, the rest is not; GOPATH is world-writable and sticky.
	top := layers(t, res.Image)[1]
	for rel, data := range fakeGoFiles {
		if strings.HasSuffix(rel, "/") {
			continue
		}
		mode := int64(0o644)
		if strings.HasPrefix(rel, "bin/") || strings.HasPrefix(rel, "pkg/tool/linux_amd64/") {
			mode = 0o755
		}
		wantFile(t, top, "usr/local/go/"+rel, data, mode)
	}
	for _, d := range []string{"go", "go/bin", "go/pkg", "go/src"} {
		wantDir(t, top, d, 0o1777, 0, 0)
	}
	var regular []string
	for p, f := range top {
		if f.hdr.Typeflag != tar.TypeDir {
			regular = append(regular, p)
		}
	}
	if len(regular) != len(fakeGoFiles)-1 {
		t.Errorf("toolchain layer files %q, want exactly the zip's", regular)
	}

	cf := configFile(t, res.Image)
	c := cf.Config
	for _, env := range []string{"GOPATH=/go", "GOTOOLCHAIN=local", "GOLANG_VERSION=1.26.11"} {
		if !slices.Contains(c.Env, env) {
			t.Errorf("Env %q lacks %s", c.Env, env)
		}
	}
	if len(c.Env) == 0 || !strings.Contains(c.Env[0], ":/usr/local/go/bin:") || !strings.HasPrefix(c.Env[0], "PATH=") {
		t.Errorf("PATH = %q, want /usr/local/go/bin in it", c.Env)
	}
	if c.Labels["dev.distill.go.version"] != fakeGoVersion || c.WorkingDir != "/go" {
		t.Errorf("labels %v workdir %q", c.Labels, c.WorkingDir)
	}
	if len(cf.History) != 2 || !strings.Contains(cf.History[1].CreatedBy, toolchain.GoModule+"@"+fakeGoModVersion("linux/amd64")+" "+fakeGoSum) {
		t.Errorf("history %+v", cf.History)
	}
	wantNormalised(t, res, epoch0)

	// The lock pins the toolchain module by its sum.
	tc, err := a.Lock().Toolchain(fakeGoVersion, "linux/amd64")
	if err != nil || tc.Module != toolchain.GoModule || tc.Version != fakeGoModVersion("linux/amd64") || tc.Sum != fakeGoSum {
		t.Errorf("locked toolchain = %+v, %v", tc, err)
	}
	if got := slices.Collect(maps.Keys(a.Lock().Platforms["linux/amd64"].Layers)); len(got) != 1 || got[0] != "debian" {
		t.Errorf("locked layers %v, want debian only (the toolchain is pinned apart)", got)
	}
}
