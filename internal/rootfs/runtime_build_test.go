package rootfs_test

import (
	"archive/tar"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/debian/debiantest"
	"github.com/distill-dev/distill/internal/rootfs"
)

var epoch0 = time.Unix(0, 0)

// imagePath is where a runtime image carries a file a package ships, by the
// documented policy: merged /usr, documentation dropped except
// usr/share/doc/<pkg>/copyright, manuals dropped. ok is false when dropped.
func imagePath(debPath string) (p string, ok bool) {
	p = strings.TrimPrefix(path.Clean(debPath), "./")
	switch first, _, _ := strings.Cut(p, "/"); first {
	case "bin", "sbin", "lib", "lib64":
		p = "usr/" + p
	}
	if strings.HasPrefix(p, "usr/share/man/") {
		return "", false
	}
	if strings.HasPrefix(p, "usr/share/doc/") {
		return p, path.Base(p) == "copyright"
	}
	return p, true
}

// wantStatus checks the dpkg status.d record and md5sums of each package: the
// control file with the Status field after Package, and the MD5 of every
// regular file (hard links included) the package put into the image.
func wantStatus(t *testing.T, fs map[string]file, debs ...debiantest.Deb) {
	t.Helper()
	for _, d := range debs {
		ctl := d.Control()
		_, rest, _ := strings.Cut(ctl, "\n")
		wantFile(t, fs, "var/lib/dpkg/status.d/"+d.Package,
			"Package: "+d.Package+"\nStatus: install ok installed\n"+rest, 0o644)
		for _, field := range []string{"Version: " + d.Version, "Architecture: " + d.Architecture()} {
			if !strings.Contains(rest, field+"\n") {
				t.Errorf("%s control lacks %q", d.Package, field)
			}
		}

		var lines []string
		for _, f := range d.Files {
			p, keep := imagePath(f.Path)
			if !keep || strings.HasSuffix(f.Path, "/") || (f.Linkname != "" && f.Type != tar.TypeLink) {
				continue // dropped, a directory or a symlink
			}
			data := f.Data
			if f.Type == tar.TypeLink {
				i := slices.IndexFunc(d.Files, func(o debiantest.File) bool { return o.Path == f.Linkname })
				data = d.Files[i].Data
			}
			lines = append(lines, p+"\x00"+md5Hex([]byte(data))+"  "+p+"\n")
			// The file is in the image with those bytes.
			img, ok := fs[p]
			if ok && img.hdr.Typeflag == tar.TypeLink {
				img, ok = fs[img.hdr.Linkname]
			}
			if !ok || string(img.data) != data {
				t.Errorf("%s: %s not in the image with the package's content", d.Package, p)
			}
		}
		slices.Sort(lines) // by path, then drop the sort key
		for i, l := range lines {
			_, lines[i], _ = strings.Cut(l, "\x00")
		}
		wantFile(t, fs, "var/lib/dpkg/status.d/"+d.Package+".md5sums", strings.Join(lines, ""), 0o644)
	}
}

// wantNormalised checks that every entry of every layer has the epoch as
// mtime and numeric owners only, and that the config and history carry the
// epoch too.
func wantNormalised(t *testing.T, res *rootfs.Result, epoch time.Time) {
	t.Helper()
	for i, l := range layers(t, res.Image) {
		for p, f := range l {
			if !f.hdr.ModTime.Equal(epoch) {
				t.Errorf("layer %d: %s: mtime %v, want %v", i, p, f.hdr.ModTime, epoch)
			}
			if f.hdr.Uname != "" || f.hdr.Gname != "" {
				t.Errorf("layer %d: %s: owner names %q:%q", i, p, f.hdr.Uname, f.hdr.Gname)
			}
		}
	}
	cf := configFile(t, res.Image)
	if !cf.Created.Time.Equal(epoch) {
		t.Errorf("config Created = %v, want %v", cf.Created.Time, epoch)
	}
	for _, h := range cf.History {
		if !h.Created.Time.Equal(epoch) {
			t.Errorf("history %q Created = %v, want %v", h.CreatedBy, h.Created.Time, epoch)
		}
	}
}

// installed maps each installed package to its layer.
func installed(res *rootfs.Result) map[string]string {
	m := map[string]string{}
	for _, p := range res.Packages {
		m[p.Name] = p.Layer
	}
	return m
}

func wantInstalled(t *testing.T, res *rootfs.Result, want map[string]string) {
	t.Helper()
	if got := installed(res); !maps.Equal(got, want) {
		t.Errorf("%s packages (name → layer):\n got %v\nwant %v", res.Name(), got, want)
	}
	if !slices.IsSortedFunc(res.Packages, func(a, b rootfs.Installed) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("%s: Packages not sorted by name", res.Name())
	}
}

var staticPackages = map[string]string{"base-files": "static", "ca-certificates": "static", "netbase": "static", "tzdata": "static"}

func TestStaticImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.build(w.assembler(), "static")
	if res.Name() != "static" || res.Platform != "linux/amd64" || res.Debug || res.Toolchain != nil {
		t.Errorf("result: %s %s debug=%v toolchain=%v", res.Name(), res.Platform, res.Debug, res.Toolchain)
	}
	ls := layers(t, res.Image)
	if len(ls) != 1 {
		t.Fatalf("static has %d layers, want 1", len(ls))
	}
	fs := ls[0]

	// Merged /usr: ./bin/os-probe lands in usr/bin, the top-level
	// directories are links into /usr.
	wantFile(t, fs, "usr/bin/os-probe", "\x7fELF os-probe", 0o755)
	for _, d := range []string{"bin", "sbin", "lib", "lib64"} {
		wantSymlink(t, fs, d, "usr/"+d)
		wantDir(t, fs, "usr/"+d, 0o755, 0, 0)
	}
	wantSymlink(t, fs, "etc/os-release", "../usr/lib/os-release")
	wantFile(t, fs, "usr/lib/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", 0o644)
	wantFile(t, fs, "usr/sbin/update-ca-certificates", "#!/bin/sh\n", 0o755)

	// Documentation and manuals are dropped; the copyright files stay.
	for p := range fs {
		for _, pre := range []string{"bin/", "sbin/", "lib/", "lib64/"} {
			if strings.HasPrefix(p, pre) {
				t.Errorf("%s: outside the merged /usr", p)
			}
		}
		if strings.HasPrefix(p, "usr/share/man") {
			t.Errorf("%s: manuals not dropped", p)
		}
		if rest, ok := strings.CutPrefix(p, "usr/share/doc/"); ok {
			if parts := strings.Split(rest, "/"); len(parts) > 2 || len(parts) == 2 && parts[1] != "copyright" {
				t.Errorf("%s: documentation not dropped", p)
			}
		}
	}
	for pkg := range staticPackages {
		wantFile(t, fs, "usr/share/doc/"+pkg+"/copyright", "Copyright: "+pkg+" authors\nLicense: GPL-2+\n", 0o644)
	}

	// Accounts: root, nobody and nonroot, none with a shell.
	passwd := string(fs["etc/passwd"].data)
	var users []string
	for _, line := range strings.Split(strings.TrimSuffix(passwd, "\n"), "\n") {
		f := strings.Split(line, ":")
		if len(f) != 7 || f[6] != "/sbin/nologin" {
			t.Errorf("passwd line %q: want 7 fields and no login shell", line)
			continue
		}
		users = append(users, f[0]+":"+f[2]+":"+f[3]+":"+f[5])
	}
	if got := strings.Join(users, " "); got != "root:0:0:/root nobody:65534:65534:/nonexistent nonroot:65532:65532:/home/nonroot" {
		t.Errorf("passwd users = %s", got)
	}
	if !strings.Contains(string(fs["etc/group"].data), "\nnonroot:x:65532:\n") {
		t.Errorf("group lacks nonroot:\n%s", fs["etc/group"].data)
	}
	wantDir(t, fs, "home/nonroot", 0o700, 65532, 65532)
	wantDir(t, fs, "root", 0o700, 0, 0)
	wantDir(t, fs, "tmp", 0o1777, 0, 0)
	wantDir(t, fs, "var/tmp", 0o1777, 0, 0)
	if _, ok := fs["etc/nsswitch.conf"]; !ok {
		t.Error("etc/nsswitch.conf missing")
	}

	// The CA bundle is the certificates in path order, newline-terminated.
	wantFile(t, fs, rootfs.CABundle, certA+certB+"\n", 0o644)

	// tzdata's hard link stays a hard link to the file with the data.
	wantFile(t, fs, "usr/share/zoneinfo/Etc/UTC", "TZif2 UTC", 0o644)
	if h := fs["usr/share/zoneinfo/UTC"].hdr; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "usr/share/zoneinfo/Etc/UTC" {
		t.Errorf("usr/share/zoneinfo/UTC = %+v, want a hard link to usr/share/zoneinfo/Etc/UTC", h)
	}

	// dpkg records of exactly the installed packages; the maintainer-script
	// dependencies (awk, openssl, debconf) are not installed.
	var debs []debiantest.Deb
	for pkg := range staticPackages {
		d, _ := w.deb(pkg)
		debs = append(debs, d)
	}
	wantStatus(t, fs, debs...)
	wantInstalled(t, res, staticPackages)
	for p := range fs {
		if rest, ok := strings.CutPrefix(p, "var/lib/dpkg/status.d/"); ok {
			if _, ok := staticPackages[strings.TrimSuffix(rest, ".md5sums")]; !ok {
				t.Errorf("unexpected status record %s", p)
			}
		}
	}
	for _, p := range []string{"usr/bin/openssl", "usr/bin/debconf", "usr/bin/mawk"} {
		if _, ok := fs[p]; ok {
			t.Errorf("%s installed: maintainer-script dependencies must be omitted", p)
		}
	}

	cf := configFile(t, res.Image)
	c := cf.Config
	if c.User != "65532:65532" || c.WorkingDir != "/home/nonroot" || len(c.Entrypoint) != 0 {
		t.Errorf("config: user %q workdir %q entrypoint %q", c.User, c.WorkingDir, c.Entrypoint)
	}
	if want := []string{"PATH=" + rootfs.RuntimePath, "SSL_CERT_FILE=/" + rootfs.CABundle}; !slices.Equal(c.Env, want) {
		t.Errorf("Env = %q, want %q", c.Env, want)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || cf.Variant != "" {
		t.Errorf("platform %s/%s/%s", cf.OS, cf.Architecture, cf.Variant)
	}
	if c.Labels["dev.distill.flavour"] != "static" || c.Labels["dev.distill.debian"] != rootfs.Codename {
		t.Errorf("labels %v", c.Labels)
	}
	if len(cf.History) != 1 || !strings.HasPrefix(cf.History[0].CreatedBy, "distill static layer: 4 Debian") {
		t.Errorf("history %+v", cf.History)
	}
	wantNormalised(t, res, epoch0)
}

func TestBaseExtendsStatic(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	static := w.build(a, "static")
	base := w.build(a, "base")

	sd, bd := layerDigests(t, static.Image), layerDigests(t, base.Image)
	if len(bd) != 2 || bd[0] != sd[0] {
		t.Fatalf("base layers %v, want static's %v plus one", bd, sd)
	}
	want := maps.Clone(staticPackages)
	want["libc6"], want["libssl3"] = "base", "base"
	wantInstalled(t, base, want)

	// libssl3 comes from the security suite, with its source package.
	ssl, root := w.deb("libssl3")
	data, _ := w.archive.Get(debPath(root, ssl))
	for _, p := range base.Packages {
		if p.Name == "libssl3" && (p.Version != "3.0.17-1~deb12u2" || p.Source != "openssl" || p.SourceVersion != p.Version ||
			p.Architecture != "amd64" || p.SHA256 != debiantest.SHA256(data)) {
			t.Errorf("libssl3 = %+v", p)
		}
	}

	ls := layers(t, base.Image)
	top := ls[1]
	wantFile(t, top, "usr/lib/x86_64-linux-gnu/libc.so.6", "\x7fELF libc", 0o644)
	wantFile(t, top, "usr/lib/x86_64-linux-gnu/libssl.so.3", "\x7fELF libssl patched", 0o644)
	wantFile(t, top, "usr/sbin/ldconfig", "\x7fELF ldconfig", 0o755)
	wantSymlink(t, top, "usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	libc, _ := w.deb("libc6")
	wantStatus(t, top, libc, ssl)
	for _, p := range []string{"etc/passwd", "bin", "var/lib/dpkg/status.d/tzdata", rootfs.CABundle} {
		if _, ok := top[p]; ok {
			t.Errorf("base's own layer has %s (the static layer's)", p)
		}
	}
	fs := imageFiles(t, base.Image)
	wantFile(t, fs, rootfs.CABundle, certA+certB+"\n", 0o644)
	wantSymlink(t, fs, "lib64", "usr/lib64")
	wantNormalised(t, base, epoch0)
	if cf := configFile(t, base.Image); len(cf.History) != 2 || !strings.HasPrefix(cf.History[1].CreatedBy, "distill base layer: 2 Debian") {
		t.Errorf("history %+v", cf.History)
	}
}

func TestStaticDebug(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	static := w.build(a, "static")
	res := w.build(a, "static:debug")
	if res.Name() != "static:debug" || !res.Debug {
		t.Errorf("result %s debug=%v", res.Name(), res.Debug)
	}
	sd, dd := layerDigests(t, static.Image), layerDigests(t, res.Image)
	if len(dd) != 2 || dd[0] != sd[0] {
		t.Fatalf("static:debug layers %v, want static's %v plus one", dd, sd)
	}
	want := maps.Clone(staticPackages)
	want["busybox-static"] = "static:debug" // each debug variant pins its own layer
	wantInstalled(t, res, want)

	top := layers(t, res.Image)[1]
	wantFile(t, top, "usr/bin/busybox", busyboxBinary(), 0o755)
	wantDir(t, top, "busybox", 0o755, 0, 0)
	var links []string
	for p := range top {
		if name, ok := strings.CutPrefix(p, "busybox/"); ok {
			wantSymlink(t, top, p, "/usr/bin/busybox")
			links = append(links, name)
		}
	}
	slices.Sort(links)
	if !slices.Equal(links, applets) {
		t.Errorf("/busybox links %q, want one per applet %q", links, applets)
	}
	bb, _ := w.deb("busybox-static")
	wantStatus(t, top, bb)

	c := configFile(t, res.Image).Config
	if !slices.Equal(c.Entrypoint, []string{"/busybox/sh"}) {
		t.Errorf("Entrypoint = %q", c.Entrypoint)
	}
	if len(c.Env) == 0 || c.Env[0] != "PATH=/busybox:"+rootfs.RuntimePath {
		t.Errorf("Env = %q, want PATH starting with /busybox", c.Env)
	}
	if c.User != "65532:65532" || c.Labels["dev.distill.flavour"] != "static:debug" {
		t.Errorf("user %q labels %v", c.User, c.Labels)
	}
	wantNormalised(t, res, epoch0)
}

// A busybox without an applet table cannot make a debug variant.
func TestDebugNeedsApplets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	i := slices.IndexFunc(w.main, func(d debiantest.Deb) bool { return d.Package == "busybox-static" })
	w.main[i].Files = []debiantest.File{{Path: "./bin/busybox", Mode: 0o755, Data: "\x7fELF stripped"}}
	w.publish()
	_, err := w.assembler().Build(t.Context(), rootfs.Request{Flavour: "static:debug"})
	if err == nil || !strings.Contains(err.Error(), "debug layer: busybox applet table not found") {
		t.Fatalf("err = %v", err)
	}
}
