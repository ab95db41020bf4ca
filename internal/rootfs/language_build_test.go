package rootfs_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// ccPackages are what the cc runtime installs, by layer.
func ccPackages() map[string]string {
	m := maps.Clone(staticPackages)
	for _, p := range []string{"libc6", "libssl3"} {
		m[p] = "base"
	}
	for _, p := range []string{"libgcc-s1", "libgomp1", "libstdc++6"} {
		m[p] = "cc"
	}
	return m
}

// withLayer adds pkgs, in layer, to a copy of m.
func withLayer(m map[string]string, layer string, pkgs ...string) map[string]string {
	m = maps.Clone(m)
	for _, p := range pkgs {
		m[p] = layer
	}
	return m
}

// The python3 runtime is cc plus the interpreter, the standard library and
// the /usr/bin/python3 link, without dpkg, which python3-minimal depends on
// for its maintainer scripts only.
func TestPython3Runtime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	cc := w.build(a, "cc")
	res := w.build(a, "python3")

	cd, pd := layerDigests(t, cc.Image), layerDigests(t, res.Image)
	if len(pd) != 4 || !slices.Equal(pd[:3], cd) {
		t.Fatalf("python3 layers %v, want cc's %v plus one", pd, cd)
	}
	pythonLayer := []string{"libpython3.11-minimal", "libpython3.11-stdlib", "libsqlite3-0", "media-types",
		"python3-minimal", "python3.11-minimal", "zlib1g"}
	wantInstalled(t, res, withLayer(ccPackages(), "python3", pythonLayer...))

	top := layers(t, res.Image)[3]
	wantSymlink(t, top, "usr/bin/python3", "python3.11")
	wantFile(t, top, "usr/bin/python3.11", "\x7fELF python3.11", 0o755)
	wantSymlink(t, top, "usr/lib/python3.11/sitecustomize.py", "/etc/python3.11/sitecustomize.py")
	for _, p := range []string{"usr/lib/python3.11/ssl.py", "usr/lib/python3.11/json/__init__.py", "etc/mime.types", "etc/python3.11/sitecustomize.py"} {
		if _, ok := top[p]; !ok {
			t.Errorf("python3 layer lacks %s", p)
		}
	}
	for _, name := range pythonLayer {
		d, _ := w.deb(name)
		wantStatus(t, top, d)
	}
	fs := imageFiles(t, res.Image)
	for _, p := range []string{"usr/bin/dpkg", "var/lib/dpkg/status.d/dpkg", "usr/bin/sh"} {
		if _, ok := fs[p]; ok {
			t.Errorf("python3 ships %s", p)
		}
	}

	c := configFile(t, res.Image).Config
	if c.User != "65532:65532" || c.WorkingDir != "/home/nonroot" || len(c.Entrypoint) != 0 || c.Labels["dev.distill.flavour"] != "python3" {
		t.Errorf("config: user %q workdir %q entrypoint %q labels %v", c.User, c.WorkingDir, c.Entrypoint, c.Labels)
	}
	wantNormalised(t, res, epoch0)

	// python3:debug is python3 with busybox on top.
	dbg := w.build(a, "python3:debug")
	if dd := layerDigests(t, dbg.Image); len(dd) != 5 || !slices.Equal(dd[:4], pd) {
		t.Errorf("python3:debug layers %v, want python3's %v plus busybox", dd, pd)
	}
	wantInstalled(t, dbg, withLayer(installed(res), "python3:debug", "busybox-static"))
	if c := configFile(t, dbg.Image).Config; !slices.Equal(c.Entrypoint, []string{"/busybox/sh"}) {
		t.Errorf("python3:debug entrypoint %q", c.Entrypoint)
	}
}

// The nodejs runtime is cc plus node, libnode and the libraries libnode
// uses; the js alternative nodejs's postinst registers is created; npm is not
// installed.
func TestNodejsRuntime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	cc := w.build(a, "cc")
	res := w.build(a, "nodejs")

	cd, nd := layerDigests(t, cc.Image), layerDigests(t, res.Image)
	if len(nd) != 4 || !slices.Equal(nd[:3], cd) {
		t.Fatalf("nodejs layers %v, want cc's %v plus one", nd, cd)
	}
	nodeLayer := []string{"libnode108", "libuv1", "node-undici", "nodejs", "zlib1g"}
	wantInstalled(t, res, withLayer(ccPackages(), "nodejs", nodeLayer...))

	top := layers(t, res.Image)[3]
	wantFile(t, top, "usr/bin/node", "\x7fELF node", 0o755)
	wantSymlink(t, top, "usr/bin/nodejs", "node")
	wantSymlink(t, top, "etc/alternatives/js", "/usr/bin/nodejs")
	wantSymlink(t, top, "usr/bin/js", "/etc/alternatives/js")
	for _, name := range nodeLayer {
		d, _ := w.deb(name)
		wantStatus(t, top, d)
	}
	for p := range imageFiles(t, res.Image) {
		if strings.Contains(p, "npm") || p == "usr/share/man/man1/js.1.gz" || p == "etc/alternatives/js.1.gz" {
			t.Errorf("nodejs ships %s", p)
		}
	}
	wantNormalised(t, res, epoch0)
}

// The node and python builders add one layer to debian's. Builders keep
// maintainer-script dependencies: python3-minimal's dpkg is debian's.
func TestLanguageBuilders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assembler()
	deb := w.build(a, "debian")
	dd := layerDigests(t, deb.Image)

	node := w.build(a, "node")
	if nd := layerDigests(t, node.Image); len(nd) != 2 || nd[0] != dd[0] {
		t.Fatalf("node layers %v, want debian's %v plus one", nd, dd)
	}
	nodeLayer := []string{"libgcc-s1", "libnode108", "libssl3", "libstdc++6", "libuv1", "node-semver", "node-undici", "nodejs", "npm", "zlib1g"}
	wantInstalled(t, node, withLayer(debianPackages, "node", nodeLayer...))
	top := layers(t, node.Image)[1]
	wantSymlink(t, top, "usr/bin/npm", "../share/nodejs/npm/bin/npm-cli.js")
	wantFile(t, top, "usr/share/nodejs/npm/bin/npm-cli.js", "#!/usr/bin/env node\n", 0o755)
	wantSymlink(t, top, "usr/bin/js", "/etc/alternatives/js")
	if c := configFile(t, node.Image).Config; c.User != "" || c.WorkingDir != "/" {
		t.Errorf("node config: user %q workdir %q", c.User, c.WorkingDir)
	}

	python := w.build(a, "python")
	if pd := layerDigests(t, python.Image); len(pd) != 2 || pd[0] != dd[0] {
		t.Fatalf("python layers %v, want debian's %v plus one", pd, dd)
	}
	pythonLayer := []string{"libpython3.11-minimal", "libpython3.11-stdlib", "libsqlite3-0", "libssl3", "media-types",
		"python3", "python3-minimal", "python3-pip", "python3-pip-whl", "python3-venv", "python3.11", "python3.11-minimal",
		"python3.11-venv", "zlib1g"}
	wantInstalled(t, python, withLayer(debianPackages, "python", pythonLayer...))
	top = layers(t, python.Image)[1]
	wantSymlink(t, top, "usr/bin/python3", "python3.11")
	wantFile(t, top, "usr/bin/pip3", "#!/usr/bin/python3\n", 0o755)
	wantFile(t, top, "usr/lib/python3.11/ensurepip/__init__.py", "# ensurepip/__init__.py\n", 0o644)
	wantFile(t, top, "usr/share/python-wheels/pip-23.0.1-py3-none-any.whl", "PK wheel", 0o644)
	wantNormalised(t, python, epoch0)
}
