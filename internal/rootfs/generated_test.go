package rootfs

import (
	"archive/tar"
	"slices"
	"strings"
	"testing"
)

func TestParseAlternatives(t *testing.T) {
	postinst := []byte(`#!/bin/sh
set -e
if [ "$1" = configure ]; then
    update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \
      --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/mawk.1.gz \
      --slave /usr/bin/nawk nawk /usr/bin/mawk
    update-alternatives --install /usr/bin/pager pager "$PAGER" 10
fi
`)
	alts := parseAlternatives(postinst)
	if len(alts) != 1 {
		t.Fatalf("want 1 alternative (the one with a variable skipped), got %+v", alts)
	}
	a := alts[0]
	if a.link != "/usr/bin/awk" || a.name != "awk" || a.target != "/usr/bin/mawk" || a.priority != 5 || len(a.slaves) != 2 {
		t.Fatalf("parsed %+v", a)
	}
	if a.slaves[1].link != "/usr/bin/nawk" || a.slaves[1].target != "/usr/bin/mawk" {
		t.Fatalf("slave %+v", a.slaves[1])
	}
}

func TestApplyAlternativesPicksHighestPriorityPresentTarget(t *testing.T) {
	tr := newTree()
	tr.file("usr/bin/mawk", 0o755, []byte("m"))
	tr.file("usr/bin/gawk", 0o755, []byte("g"))
	alts := []alternative{
		{link: "/usr/bin/awk", name: "awk", target: "/usr/bin/mawk", priority: 5,
			slaves: []alternative{{link: "/usr/bin/nawk", name: "nawk", target: "/usr/bin/mawk"}, {link: "/usr/share/man/man1/awk.1.gz", name: "awk.1.gz", target: "/usr/share/man/man1/mawk.1.gz"}}},
		{link: "/usr/bin/awk", name: "awk", target: "/usr/bin/gawk", priority: 10},
		{link: "/usr/bin/awk", name: "awk", target: "/usr/bin/nawk-missing", priority: 99},
		{link: "/bin/cc", name: "cc", target: "/usr/bin/gcc", priority: 20}, // gcc in an earlier layer
		// An earlier layer ships a real /usr/bin/pager: the alternative must not cover it.
		{link: "/usr/bin/pager", name: "pager", target: "/usr/bin/mawk", priority: 1},
	}
	tr.applyAlternatives(alts, func(p string) (byte, bool) {
		if e, ok := tr.get(p); ok {
			return e.typ, true
		}
		switch p {
		case "usr/bin/gcc", "usr/bin/pager":
			return tar.TypeReg, true
		}
		return 0, false
	})
	check := func(p, target string) {
		t.Helper()
		e, ok := tr.get(p)
		if !ok || e.typ != tar.TypeSymlink || e.linkname != target {
			t.Fatalf("%s: %+v, want symlink to %s", p, e, target)
		}
	}
	check("usr/bin/awk", "/etc/alternatives/awk")
	check("etc/alternatives/awk", "/usr/bin/gawk")
	check("usr/bin/cc", "/etc/alternatives/cc") // merged-/usr location of /bin/cc
	if _, ok := tr.get("usr/bin/nawk"); ok {
		t.Fatal("slave of the losing alternative was linked")
	}
	if _, ok := tr.get("usr/bin/pager"); ok {
		t.Fatal("an alternative link covers a real file of an earlier layer")
	}
}

func TestStatusRecordAddsStatusAfterPackage(t *testing.T) {
	got := string(statusRecord([]byte("Package: tzdata\nVersion: 2026b-0+deb12u1\nDescription: time zone\n and daylight-saving data\n\n")))
	want := "Package: tzdata\nStatus: install ok installed\nVersion: 2026b-0+deb12u1\nDescription: time zone\n and daylight-saving data\n"
	if got != want {
		t.Fatalf("status record:\n%s\nwant:\n%s", got, want)
	}
}

func TestCABundleConcatenatesSortedCerts(t *testing.T) {
	tr := newTree()
	if tr.caBundle() != nil {
		t.Fatal("bundle without certificates")
	}
	tr.file("usr/share/ca-certificates/mozilla/B.crt", 0o644, []byte("-----B-----"))
	tr.file("usr/share/ca-certificates/mozilla/A.crt", 0o644, []byte("-----A-----\n"))
	tr.file("usr/share/ca-certificates/mozilla/README", 0o644, []byte("not a cert"))
	if got := string(tr.caBundle()); got != "-----A-----\n-----B-----\n" {
		t.Fatalf("bundle %q", got)
	}
}

func TestBuilderAccountsAddNonroot(t *testing.T) {
	passwd, group, err := builderAccounts([]byte("root:*:0:0:root:/root:/bin/bash\n"), []byte("root:*:0:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(passwd), "\nnonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n") ||
		!strings.HasSuffix(string(group), "\nnonroot:x:65532:\n") {
		t.Fatalf("passwd %q group %q", passwd, group)
	}
	if _, _, err := builderAccounts(nil, nil); err == nil || !strings.Contains(err.Error(), "base-passwd") {
		t.Fatalf("want an error naming base-passwd, got %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(runtimePasswd), "\n") {
		if strings.Contains(l, "/bin/sh") || strings.Contains(l, "bash") {
			t.Fatalf("runtime account with a shell: %s", l)
		}
	}
}

func TestBusyboxApplets(t *testing.T) {
	bin := append([]byte("\x7fELF....junk\x00"), []byte("[\x00[[\x00ash\x00cat\x00echo\x00env\x00ls\x00ps\x00sh\x00vi\x00wget\x00\x00more junk")...)
	got, err := busyboxApplets(bin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "[,[[,ash,cat,echo,env,ls,ps,sh,vi,wget" {
		t.Fatalf("applets %q", got)
	}
	if _, err := busyboxApplets([]byte("no table here")); err == nil {
		t.Fatal("want an error without an applet table")
	}
	unsorted := []byte("\x00[\x00[[\x00zz\x00aa\x00b\x00c\x00d\x00e\x00f\x00g\x00h\x00\x00")
	if _, err := busyboxApplets(unsorted); err == nil {
		t.Fatal("want an error for an unsorted table")
	}
}

func TestFlavourTable(t *testing.T) {
	names := map[string]bool{}
	for _, f := range Flavours() {
		if names[f.Name] {
			t.Fatalf("flavour %s twice", f.Name)
		}
		names[f.Name] = true
		if f.Parent != "" {
			p, _, err := Lookup(f.Parent)
			if err != nil {
				t.Fatalf("%s: parent: %v", f.Name, err)
			}
			if p.Kind != f.Kind {
				t.Fatalf("%s (%s) has a %s parent", f.Name, f.Kind, p.Kind)
			}
		}
		if f.Kind == Runtime {
			for _, pm := range packageManagers {
				if slices.Contains(f.Packages, pm) {
					t.Fatalf("runtime flavour %s installs %s", f.Name, pm)
				}
			}
			for _, d := range maintainerScriptDeps {
				if !slices.Contains(f.Omit, d) {
					t.Fatalf("runtime flavour %s does not omit %s", f.Name, d)
				}
			}
		}
	}
	chain := func(name string) string {
		f, _, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, c := range f.chain() {
			s = append(s, c.Name)
		}
		return strings.Join(s, ">")
	}
	if got := chain("cc"); got != "static>base>cc" {
		t.Fatalf("cc chain %s", got)
	}
	for name, want := range map[string]string{
		"go": "debian>go", "python3": "static>base>cc>python3", "nodejs": "static>base>cc>nodejs",
		"node": "debian>node", "python": "debian>python",
	} {
		if got := chain(name); got != want {
			t.Fatalf("%s chain %s, want %s", name, got, want)
		}
	}
	for _, name := range []string{"static:debug", "python3:debug", "nodejs:debug"} {
		if f, debug, err := Lookup(name); err != nil || !debug || f.Kind != Runtime {
			t.Fatalf("%s: %s %v %v", name, f.Kind, debug, err)
		}
	}
	for _, name := range []string{"go:debug", "node:debug", "python:debug"} {
		if _, _, err := Lookup(name); err == nil {
			t.Fatalf("%s: builders have no debug variant", name)
		}
	}
	// distill base list prints what runtime flavours omit: every name once.
	omitted := MaintainerScriptDeps()
	if !slices.IsSorted(omitted) || len(slices.Compact(slices.Clone(omitted))) != len(omitted) ||
		!slices.Contains(omitted, "debconf") || !slices.Contains(omitted, "dpkg") {
		t.Fatalf("MaintainerScriptDeps() = %q", omitted)
	}
	if _, _, err := Lookup("distroless"); err == nil || !strings.Contains(err.Error(), "static") {
		t.Fatalf("unknown flavour error should list the known ones: %v", err)
	}
}
