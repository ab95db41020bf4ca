package rootfs_test

import (
	"archive/tar"
	"slices"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/distill-dev/distill/internal/debian"
	"github.com/distill-dev/distill/internal/debian/debiantest"
	"github.com/distill-dev/distill/internal/rootfs"
)

// The fake bookworm world: Debian packages with the names the flavour table
// uses and small synthetic content that exercises each part of the assembly
// (merged /usr, dropped docs, CA bundle, hard links, alternatives, busybox
// applets, base-passwd accounts). Published by world.publish.

// certA and certB are the ca-certificates files; B lacks a trailing newline,
// which the bundle adds.
const (
	certA = "-----BEGIN CERTIFICATE-----\nQUFB\n-----END CERTIFICATE-----\n"
	certB = "-----BEGIN CERTIFICATE-----\nQkJC\n-----END CERTIFICATE-----"
)

// applets is the busybox applet table of the fake busybox-static, sorted as
// busybox keeps it.
var applets = []string{"[", "[[", "ash", "busybox", "cat", "chmod", "cp", "echo", "env", "ls", "mkdir", "rm", "sh", "wget"}

func busyboxBinary() string {
	b := "\x7fELF\x02\x01\x01\x00junk\x00\x01\x02"
	for _, a := range applets {
		b += "\x00" + a
	}
	return b + "\x00\x00more junk\x00"
}

const (
	passwdMaster = "root:*:0:0:root:/root:/bin/bash\ndaemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	groupMaster  = "root:*:0:\ndaemon:*:1:\nnogroup:*:65534:\n"
)

const mawkPostinst = `#!/bin/sh
set -e
update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \
  --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/mawk.1.gz \
  --slave /usr/bin/nawk nawk /usr/bin/mawk
`

// docs is what Debian packages ship under /usr/share: the copyright file,
// which images keep, and documentation and manuals, which they drop.
func docs(pkg string) []debiantest.File {
	return []debiantest.File{
		{Path: "./usr/share/doc/" + pkg + "/"},
		{Path: "./usr/share/doc/" + pkg + "/copyright", Data: "Copyright: " + pkg + " authors\nLicense: GPL-2+\n"},
		{Path: "./usr/share/doc/" + pkg + "/changelog.Debian.gz", Data: "\x1f\x8bchangelog of " + pkg},
		{Path: "./usr/share/man/man1/" + pkg + ".1.gz", Data: "\x1f\x8bmanual of " + pkg},
	}
}

func withDocs(pkg string, files ...debiantest.File) []debiantest.File {
	return append(files, docs(pkg)...)
}

// runtimeDebs are the packages of the runtime flavours and :debug, for arch.
func runtimeDebs(arch string) []debiantest.Deb {
	return []debiantest.Deb{
		{Package: "base-files", Version: "12.4+deb12u11", Arch: arch, Priority: "required", Essential: true,
			PreDepends: "awk", DataCompression: ".xz",
			Files: withDocs("base-files",
				debiantest.File{Path: "./"},
				debiantest.File{Path: "./bin/"},
				debiantest.File{Path: "./bin/os-probe", Mode: 0o755, Data: "\x7fELF os-probe"},
				debiantest.File{Path: "./etc/"},
				debiantest.File{Path: "./etc/debian_version", Data: "12.11\n"},
				debiantest.File{Path: "./etc/os-release", Linkname: "../usr/lib/os-release"},
				debiantest.File{Path: "./usr/lib/os-release", Data: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"},
			)},
		{Package: "ca-certificates", Version: "20230311", Arch: "all", Priority: "optional",
			Depends: "openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0", DataCompression: ".zst",
			Files: withDocs("ca-certificates",
				debiantest.File{Path: "./usr/sbin/update-ca-certificates", Mode: 0o755, Data: "#!/bin/sh\n"},
				// Out of order, as a tar may list them; the bundle sorts.
				debiantest.File{Path: "./usr/share/ca-certificates/mozilla/B_Root.crt", Data: certB},
				debiantest.File{Path: "./usr/share/ca-certificates/mozilla/A_Root.crt", Data: certA},
			)},
		{Package: "netbase", Version: "6.4", Arch: "all", Priority: "important", DataCompression: ".gz",
			Files: withDocs("netbase",
				debiantest.File{Path: "./etc/protocols", Data: "tcp 6 TCP\n"},
				debiantest.File{Path: "./etc/services", Data: "http 80/tcp\n"},
			)},
		{Package: "tzdata", Version: "2025b-0+deb12u1", Arch: "all", Priority: "required",
			Depends: "debconf (>= 0.5) | debconf-2.0", DataCompression: ".gz",
			Files: withDocs("tzdata",
				debiantest.File{Path: "./usr/share/zoneinfo/Etc/UTC", Data: "TZif2 UTC"},
				debiantest.File{Path: "./usr/share/zoneinfo/UTC", Type: tar.TypeLink, Linkname: "./usr/share/zoneinfo/Etc/UTC"},
			)},
		// Dependencies only maintainer scripts use: never in runtime images.
		{Package: "openssl", Version: "3.0.17-1~deb12u2", Arch: arch, Priority: "optional", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/bin/openssl", Mode: 0o755, Data: "\x7fELF openssl"}}},
		{Package: "debconf", Version: "1.5.82", Arch: "all", Priority: "important", Provides: "debconf-2.0", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/bin/debconf", Mode: 0o755, Data: "#!/usr/bin/perl\n"}}},
		{Package: "libc6", Version: "2.36-9+deb12u10", Arch: arch, Priority: "optional", DataCompression: ".gz",
			Files: withDocs("libc6",
				debiantest.File{Path: "./lib/x86_64-linux-gnu/libc.so.6", Data: "\x7fELF libc"},
				debiantest.File{Path: "./lib64/ld-linux-x86-64.so.2", Linkname: "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
				debiantest.File{Path: "./lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", Mode: 0o755, Data: "\x7fELF ld.so"},
				debiantest.File{Path: "./sbin/ldconfig", Mode: 0o755, Data: "\x7fELF ldconfig"},
			)},
		{Package: "libssl3", Version: "3.0.15-1~deb12u1", Arch: arch, Priority: "optional",
			Depends: "libc6 (>= 2.34)", Source: "openssl", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/lib/x86_64-linux-gnu/libssl.so.3", Data: "\x7fELF libssl old"}}},
		{Package: "busybox-static", Version: "1:1.35.0-4", Arch: arch, Priority: "optional", Source: "busybox", DataCompression: ".gz",
			Files: withDocs("busybox-static",
				debiantest.File{Path: "./bin/"},
				debiantest.File{Path: "./bin/busybox", Mode: 0o755, Data: busyboxBinary()},
			)},
	}
}

// securityDebs are the bookworm-security packages: a newer libssl3.
func securityDebs(arch string) []debiantest.Deb {
	return []debiantest.Deb{
		{Package: "libssl3", Version: "3.0.17-1~deb12u2", Arch: arch, Priority: "optional",
			Depends: "libc6 (>= 2.34)", Source: "openssl", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/lib/x86_64-linux-gnu/libssl.so.3", Data: "\x7fELF libssl patched"}}},
	}
}

// builderDebs are the minbase (Priority: required) packages and the roots
// of the debian builder flavour.
func builderDebs(arch string) []debiantest.Deb {
	return []debiantest.Deb{
		{Package: "base-passwd", Version: "3.6.1", Arch: arch, Priority: "required", Essential: true, DataCompression: ".gz",
			Files: withDocs("base-passwd",
				debiantest.File{Path: "./usr/share/base-passwd/passwd.master", Data: passwdMaster},
				debiantest.File{Path: "./usr/share/base-passwd/group.master", Data: groupMaster},
				debiantest.File{Path: "./usr/sbin/update-passwd", Mode: 0o755, Data: "\x7fELF update-passwd"},
			)},
		{Package: "dash", Version: "0.5.12-2", Arch: arch, Priority: "required", Essential: true, DataCompression: ".gz",
			Files: withDocs("dash",
				debiantest.File{Path: "./bin/"},
				debiantest.File{Path: "./bin/dash", Mode: 0o755, Data: "\x7fELF dash"},
				debiantest.File{Path: "./bin/sh", Linkname: "dash"},
			)},
		{Package: "mawk", Version: "1.3.4.20200120-3.1", Arch: arch, Priority: "required", Provides: "awk",
			Postinst: mawkPostinst, DataCompression: ".gz",
			Files: withDocs("mawk",
				debiantest.File{Path: "./usr/bin/mawk", Mode: 0o755, Data: "\x7fELF mawk"},
			)},
		// apt is what debootstrap adds to minbase; builder images never have it.
		{Package: "apt", Version: "2.6.1", Arch: arch, Priority: "required", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/bin/apt-get", Mode: 0o755, Data: "\x7fELF apt-get"}}},
		{Package: "usr-is-merged", Version: "37~deb12u1", Arch: "all", Priority: "optional", DataCompression: ".gz",
			Files: docs("usr-is-merged")},
		{Package: "git", Version: "1:2.39.5-0+deb12u2", Arch: arch, Priority: "optional", Depends: "libc6 (>= 2.34)", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/bin/git", Mode: 0o755, Data: "\x7fELF git"}}},
		{Package: "gcc", Version: "4:12.2.0-3", Arch: arch, Priority: "optional", Depends: "libc6-dev | libc-dev", DataCompression: ".gz",
			Postinst: "#!/bin/sh\nupdate-alternatives --install /usr/bin/cc cc /usr/bin/gcc 20\n",
			Files:    []debiantest.File{{Path: "./usr/bin/gcc", Mode: 0o755, Data: "\x7fELF gcc"}}},
		{Package: "libc6-dev", Version: "2.36-9+deb12u10", Arch: arch, Priority: "optional", Depends: "libc6 (= 2.36-9+deb12u10)",
			Provides: "libc-dev", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/include/stdio.h", Data: "int printf(const char *, ...);\n"}}},
		{Package: "make", Version: "4.3-4.1", Arch: arch, Priority: "optional", DataCompression: ".gz",
			Files: []debiantest.File{{Path: "./usr/bin/make", Mode: 0o755, Data: "\x7fELF make"}}},
	}
}

const (
	pythonVersion = "3.11.2-6+deb12u9"
	nodeVersion   = "18.20.4+dfsg-1~deb12u3"
)

const nodejsPostinst = `#!/bin/sh

set -e

if [ "$1" = "configure" ]; then
    update-alternatives --install /usr/bin/js js /usr/bin/nodejs 200 \
                        --slave /usr/share/man/man1/js.1.gz js.1.gz /usr/share/man/man1/nodejs.1.gz
fi
`

// languageDebs are the packages of cc and of the language flavours, with
// their real dependency fields cut down to what the fake world has.
func languageDebs(arch string) []debiantest.Deb {
	lib := func(pkg, version, so string, depends string) debiantest.Deb {
		return debiantest.Deb{Package: pkg, Version: version, Arch: arch, Priority: "optional", Depends: depends, DataCompression: ".gz",
			Files: withDocs(pkg, debiantest.File{Path: "./usr/lib/x86_64-linux-gnu/" + so, Data: "\x7fELF " + so})}
	}
	py := func(name string) debiantest.File {
		return debiantest.File{Path: "./usr/lib/python3.11/" + name, Data: "# " + name + "\n"}
	}
	return []debiantest.Deb{
		// cc
		lib("libgcc-s1", "12.2.0-14+deb12u1", "libgcc_s.so.1", "libc6 (>= 2.35)"),
		lib("libgomp1", "12.2.0-14+deb12u1", "libgomp.so.1.0.0", "libc6 (>= 2.34)"),
		lib("libstdc++6", "12.2.0-14+deb12u1", "libstdc++.so.6.0.30", "libc6 (>= 2.36), libgcc-s1 (>= 4.2)"),

		// python3: the interpreter, the standard library and the python3 link.
		{Package: "python3.11-minimal", Version: pythonVersion, Arch: arch, Priority: "optional", Source: "python3.11",
			PreDepends: "libc6 (>= 2.35)", Depends: "libpython3.11-minimal (= " + pythonVersion + "), zlib1g (>= 1:1.2.0)", DataCompression: ".xz",
			Files: withDocs("python3.11-minimal", debiantest.File{Path: "./usr/bin/python3.11", Mode: 0o755, Data: "\x7fELF python3.11"})},
		{Package: "libpython3.11-minimal", Version: pythonVersion, Arch: arch, Priority: "optional", Source: "python3.11",
			Depends: "libc6 (>= 2.14), libssl3 (>= 3.0.0)", DataCompression: ".xz",
			Files: withDocs("libpython3.11-minimal", py("ssl.py"), py("lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"),
				debiantest.File{Path: "./etc/python3.11/sitecustomize.py", Data: "# Empty sitecustomize.py\n"},
				debiantest.File{Path: "./usr/lib/python3.11/sitecustomize.py", Linkname: "/etc/python3.11/sitecustomize.py"})},
		{Package: "libpython3.11-stdlib", Version: pythonVersion, Arch: arch, Priority: "optional", Source: "python3.11",
			Depends: "libpython3.11-minimal (= " + pythonVersion + "), media-types | mime-support, libsqlite3-0 (>= 3.36.0)", DataCompression: ".xz",
			Files: withDocs("libpython3.11-stdlib", py("json/__init__.py"), py("sqlite3/__init__.py"), py("zoneinfo/__init__.py"))},
		{Package: "python3-minimal", Version: "3.11.2-1+b1", Arch: arch, Priority: "optional", Source: "python3-defaults",
			PreDepends: "python3.11-minimal (>= 3.11.2-1~)", Depends: "dpkg (>= 1.13.20)", DataCompression: ".xz",
			Postinst: "#! /bin/sh\nset -e\n\nif which py3compile >/dev/null 2>&1; then\n\tpy3compile -p python3-minimal /usr/share/python3/\nfi\n",
			Files: withDocs("python3-minimal",
				debiantest.File{Path: "./usr/bin/python3", Linkname: "python3.11"},
				debiantest.File{Path: "./usr/bin/py3compile", Mode: 0o755, Data: "#! /usr/bin/python3\n"})},
		{Package: "media-types", Version: "10.0.0", Arch: "all", Priority: "standard", DataCompression: ".xz",
			Files: withDocs("media-types", debiantest.File{Path: "./etc/mime.types", Data: "application/json json\n"})},
		lib("libsqlite3-0", "3.40.1-2+deb12u1", "libsqlite3.so.0.8.6", "libc6 (>= 2.34)"),
		lib("zlib1g", "1:1.2.13.dfsg-1", "libz.so.1.2.13", "libc6 (>= 2.14)"),
		// dpkg is what python3-minimal's maintainer scripts need; minbase has it.
		{Package: "dpkg", Version: "1.21.22", Arch: arch, Priority: "required", Essential: true, DataCompression: ".xz",
			Files: withDocs("dpkg", debiantest.File{Path: "./usr/bin/dpkg", Mode: 0o755, Data: "\x7fELF dpkg"})},

		// The python builder's additions.
		{Package: "python3", Version: "3.11.2-1+b1", Arch: arch, Priority: "optional", Source: "python3-defaults",
			PreDepends: "python3-minimal (= 3.11.2-1+b1)", Depends: "python3.11 (>= 3.11.2-1~)", DataCompression: ".xz",
			Files: withDocs("python3", debiantest.File{Path: "./usr/bin/pydoc3", Linkname: "pydoc3.11"})},
		{Package: "python3.11", Version: pythonVersion, Arch: arch, Priority: "optional",
			Depends: "python3.11-minimal (= " + pythonVersion + "), libpython3.11-stdlib (= " + pythonVersion + "), media-types | mime-support", DataCompression: ".xz",
			Files: withDocs("python3.11", debiantest.File{Path: "./usr/bin/pydoc3.11", Mode: 0o755, Data: "#! /usr/bin/python3.11\n"})},
		{Package: "python3-pip", Version: "23.0.1+dfsg-1", Arch: "all", Priority: "optional", Source: "python-pip",
			Depends: "ca-certificates, python3:any", DataCompression: ".xz",
			Files: withDocs("python3-pip",
				debiantest.File{Path: "./usr/bin/pip3", Mode: 0o755, Data: "#!/usr/bin/python3\n"},
				debiantest.File{Path: "./usr/lib/python3/dist-packages/pip/__init__.py", Data: "__version__ = \"23.0.1\"\n"})},
		{Package: "python3-venv", Version: "3.11.2-1+b1", Arch: arch, Priority: "optional", Source: "python3-defaults",
			Depends: "python3.11-venv (>= 3.11.2-1~), python3 (= 3.11.2-1+b1)", DataCompression: ".xz", Files: docs("python3-venv")},
		{Package: "python3.11-venv", Version: pythonVersion, Arch: arch, Priority: "optional", Source: "python3.11",
			Depends: "python3.11 (= " + pythonVersion + "), python3-pip-whl (>= 22.2)", DataCompression: ".xz",
			Files: withDocs("python3.11-venv", py("ensurepip/__init__.py"))},
		{Package: "python3-pip-whl", Version: "23.0.1+dfsg-1", Arch: "all", Priority: "optional", Source: "python-pip",
			Depends: "ca-certificates", DataCompression: ".xz",
			Files: withDocs("python3-pip-whl", debiantest.File{Path: "./usr/share/python-wheels/pip-23.0.1-py3-none-any.whl", Data: "PK wheel"})},

		// nodejs: node, libnode and the JavaScript libraries libnode uses.
		{Package: "nodejs", Version: nodeVersion, Arch: arch, Priority: "optional",
			Depends: "libc6 (>= 2.34), libnode108 (= " + nodeVersion + ")", Provides: "node-types-node (= 18.18.14~" + nodeVersion + ")",
			Postinst: nodejsPostinst, DataCompression: ".xz",
			Files: withDocs("nodejs",
				debiantest.File{Path: "./usr/bin/node", Mode: 0o755, Data: "\x7fELF node"},
				debiantest.File{Path: "./usr/bin/nodejs", Linkname: "node"})},
		lib("libnode108", nodeVersion, "libnode.so.108",
			"libc6 (>= 2.34), libgcc-s1 (>= 3.4), libssl3 (>= 3.0.0), libstdc++6 (>= 11), libuv1 (>= 1.44.1), zlib1g (>= 1:1.1.4), node-undici (>= 5.0.0~)"),
		lib("libuv1", "1.44.2-1+deb12u1", "libuv.so.1.0.0", "libc6 (>= 2.34)"),
		{Package: "node-undici", Version: "5.15.0+dfsg1+~cs20.10.9.3-1+deb12u4", Arch: "all", Priority: "optional", DataCompression: ".xz",
			Files: withDocs("node-undici", debiantest.File{Path: "./usr/share/nodejs/undici/index.js", Data: "module.exports = {}\n"})},

		// The node builder's additions: npm and a library it uses.
		{Package: "npm", Version: "9.2.0~ds1-1", Arch: "all", Priority: "optional",
			Depends: "ca-certificates, node-semver, nodejs:any", DataCompression: ".xz",
			Postinst: "#!/bin/sh\nset -e\ndpkg-maintscript-helper dir_to_symlink /usr/share/npm nodejs/npm 7.0.8\\+ds-2\\~ -- \"$@\"\n",
			Files: withDocs("npm",
				debiantest.File{Path: "./usr/bin/npm", Linkname: "../share/nodejs/npm/bin/npm-cli.js"},
				debiantest.File{Path: "./usr/share/nodejs/npm/bin/npm-cli.js", Mode: 0o755, Data: "#!/usr/bin/env node\n"})},
		{Package: "node-semver", Version: "7.3.5+~7.3.8-2", Arch: "all", Priority: "optional", Depends: "nodejs:any", DataCompression: ".xz",
			Files: withDocs("node-semver", debiantest.File{Path: "./usr/share/nodejs/semver/index.js", Data: "module.exports = {}\n"})},
	}
}

// world is a fake Debian archive with the bookworm and bookworm-security
// suites, and a way to make Assemblers that read it.
type world struct {
	t       *testing.T
	archive *debiantest.Archive
	key     *openpgp.Entity
	archs   []string
	goTC    *fakeGo

	// main and security are what the suites publish; change them and call
	// publish to alter the archive.
	main, security []debiantest.Deb

	mu         sync.Mutex
	archivesOf []string // architectures asked of the archives func, in order
}

// newWorld publishes the fake world for archs (default amd64).
func newWorld(t *testing.T, archs ...string) *world {
	t.Helper()
	if len(archs) == 0 {
		archs = []string{"amd64"}
	}
	w := &world{t: t, archive: debiantest.NewArchive(t), key: debiantest.NewKey(t, "archive"), archs: archs, goTC: newFakeGo(t)}
	for _, arch := range archs {
		w.main = append(w.main, runtimeDebs(arch)...)
		w.main = append(w.main, builderDebs(arch)...)
		w.main = append(w.main, languageDebs(arch)...)
		w.security = append(w.security, securityDebs(arch)...)
	}
	w.main, w.security = dedupe(w.main), dedupe(w.security)
	w.publish()
	return w
}

// dedupe drops repeated architecture-independent packages.
func dedupe(debs []debiantest.Deb) []debiantest.Deb {
	var out []debiantest.Deb
	for _, d := range debs {
		if !slices.ContainsFunc(out, func(o debiantest.Deb) bool { return o.Filename() == d.Filename() }) {
			out = append(out, d)
		}
	}
	return out
}

// publish (re)publishes both suites with w.main and w.security.
func (w *world) publish() {
	w.t.Helper()
	w.archive.Publish("/debian", "bookworm", w.main, debiantest.SuiteOptions{
		Signers: []*openpgp.Entity{w.key}, Archs: w.archs, ByHash: true, Exts: []string{".gz"}})
	w.archive.Publish("/debian-security", "bookworm-security", w.security, debiantest.SuiteOptions{
		Signers: []*openpgp.Entity{w.key}, Archs: w.archs, Exts: []string{".gz"}})
}

func (w *world) mirrors() debian.Mirrors {
	return debian.Mirrors{Debian: w.archive.URL("/debian"), Security: w.archive.URL("/debian-security")}
}

// assembler returns an Assembler whose Debian clients have a cache
// directory of their own, so nothing is shared with other Assemblers.
func (w *world) assembler(opts ...rootfs.Option) *rootfs.Assembler {
	w.t.Helper()
	cache := w.t.TempDir()
	archives := func(arch string) (rootfs.Archive, error) {
		w.mu.Lock()
		w.archivesOf = append(w.archivesOf, arch)
		w.mu.Unlock()
		return debian.NewClient(w.mirrors(),
			debian.WithKeyring(debiantest.PublicKeyring(w.t, w.key)),
			debian.WithCacheDir(cache),
			debian.WithClock(debiantest.Now),
			debian.WithArch(arch),
			debian.WithHTTPClient(w.archive.HTTPClient()))
	}
	a, err := rootfs.NewAssembler(archives, w.mirrors(), append([]rootfs.Option{rootfs.WithToolchains(w.goTC)}, opts...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// build assembles a flavour for linux/amd64 and fails the test on error.
func (w *world) build(a *rootfs.Assembler, flavour string) *rootfs.Result {
	w.t.Helper()
	res, err := a.Build(w.t.Context(), rootfs.Request{Flavour: flavour})
	if err != nil {
		w.t.Fatalf("Build(%s): %v", flavour, err)
	}
	return res
}

// debPath is the URL path of a published package's .deb.
func debPath(root string, d debiantest.Deb) string { return root + "/" + d.Filename() }

// deb returns the published package named name (of the first architecture),
// from the security suite when it has one.
func (w *world) deb(name string) (d debiantest.Deb, root string) {
	w.t.Helper()
	for _, s := range []struct {
		root string
		debs []debiantest.Deb
	}{{"/debian-security", w.security}, {"/debian", w.main}} {
		i := slices.IndexFunc(s.debs, func(d debiantest.Deb) bool { return d.Package == name })
		if i >= 0 {
			return s.debs[i], s.root
		}
	}
	w.t.Fatalf("no fixture package %s", name)
	return debiantest.Deb{}, ""
}
