package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *Lock {
	l := New("bookworm")
	l.SetLayer("linux/amd64", "static", map[string]Package{
		"tzdata":     {Version: "2026b-0+deb12u1", Architecture: "all", Archive: "debian", Filename: "pool/main/t/tzdata/tzdata_2026b-0+deb12u1_all.deb", Size: 3, SHA256: "aa"},
		"base-files": {Version: "12.4+deb12u15", Architecture: "amd64", Archive: "debian", Filename: "pool/main/b/base-files/x.deb", Size: 2, SHA256: "bb"},
	})
	l.SetToolchain("go1.26.11", "linux/amd64", Toolchain{Module: "golang.org/toolchain", Version: "v0.0.1-go1.26.11.linux-amd64", Sum: "h1:x"})
	return l
}

func TestRoundTripIsByteStable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "distill.lock")
	if err := sample().Save(p); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(p)
	l, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(again) {
		t.Fatalf("re-marshalled lock differs:\n%s\n---\n%s", first, again)
	}
	// Keys are sorted: base-files before tzdata regardless of insertion order.
	if strings.Index(string(first), "base-files") > strings.Index(string(first), "tzdata") {
		t.Fatalf("packages not sorted:\n%s", first)
	}
	pkgs, err := l.Layer("linux/amd64", "static")
	if err != nil || pkgs["tzdata"].SHA256 != "aa" {
		t.Fatalf("Layer = %v, %v", pkgs, err)
	}
	tc, err := l.Toolchain("go1.26.11", "linux/amd64")
	if err != nil || tc.Sum != "h1:x" {
		t.Fatalf("Toolchain = %v, %v", tc, err)
	}
}

func TestMissingEntriesAreTyped(t *testing.T) {
	l := sample()
	if _, err := l.Layer("linux/arm64", "static"); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("want ErrNotLocked, got %v", err)
	}
	if _, err := l.Layer("linux/amd64", "cc"); !errors.Is(err, ErrNotLocked) || !strings.Contains(err.Error(), `"cc"`) {
		t.Fatalf("want ErrNotLocked naming the layer, got %v", err)
	}
	if _, err := l.Toolchain("go1.21.0", "linux/amd64"); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("want ErrNotLocked, got %v", err)
	}
}

func TestLoadRejectsUnknownFieldsAndVersions(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "a.lock")
	os.WriteFile(bad, []byte(`{"lockVersion":1,"debain":"bookworm"}`), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "debain") {
		t.Fatalf("want unknown-field error, got %v", err)
	}
	os.WriteFile(bad, []byte(`{"lockVersion":99}`), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "lockVersion 99") {
		t.Fatalf("want version error, got %v", err)
	}
}

func TestSaveSkipsUnchangedContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "distill.lock")
	if err := sample().Save(p); err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(p)
	if err := sample().Save(p); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(p)
	if !os.SameFile(st1, st2) {
		t.Fatal("unchanged lock was rewritten (new inode)")
	}
}
