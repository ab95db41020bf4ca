package engine

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/buildkit/client/connhelper"
)

func TestOptionDefaults(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("BUILDKIT_HOST", "")
	t.Setenv("XDG_CACHE_HOME", cache)

	o, err := makeOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "" {
		t.Errorf("addr = %q, want empty (local buildkitd)", o.addr)
	}
	if want := filepath.Join(cache, "distill", "buildkit"); o.stateDir != want {
		t.Errorf("stateDir = %q, want %q", o.stateDir, want)
	}
	if o.progress != ProgressAuto || o.startTimeout != 30*time.Second || o.keep || o.config != "" || o.buildkitd != "" {
		t.Errorf("unexpected defaults: %+v", o)
	}
}

func TestAddrPrecedence(t *testing.T) {
	tests := []struct {
		name string
		env  string
		opts []Option
		want string
	}{
		{"env", "tcp://buildkit.example:1234", nil, "tcp://buildkit.example:1234"},
		{"option over env", "tcp://buildkit.example:1234", []Option{WithAddr("unix:///run/bk.sock")}, "unix:///run/bk.sock"},
		{"empty option forces local", "tcp://buildkit.example:1234", []Option{WithAddr("")}, ""},
		{"neither", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BUILDKIT_HOST", tt.env)
			t.Setenv("XDG_CACHE_HOME", t.TempDir())
			o, err := makeOptions(tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if o.addr != tt.want {
				t.Errorf("addr = %q, want %q", o.addr, tt.want)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	for name, opt := range map[string]Option{
		"empty state dir":  WithStateDir(""),
		"bad progress":     WithProgress("fancy", io.Discard),
		"negative timeout": WithStartTimeout(-time.Second),
	} {
		if _, err := makeOptions(opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestWithStateDirIsAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	o, err := makeOptions(WithAddr(""), WithStateDir("bk"))
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(o.stateDir) || filepath.Base(o.stateDir) != "bk" {
		t.Errorf("stateDir = %q, want an absolute path ending in bk", o.stateDir)
	}
}

func TestConnectionHelpers(t *testing.T) {
	for _, addr := range []string{"docker-container://buildx_buildkit_default0", "podman-container://bk", "kube-pod://buildkitd-0", "ssh://user@host"} {
		if h, err := connhelper.GetConnectionHelper(addr); err != nil || h == nil {
			t.Errorf("%s: no connection helper (%v)", addr, err)
		}
	}
}

func TestMirrorConfig(t *testing.T) {
	got := MirrorConfig(map[string][]string{"gcr.io": {"127.0.0.1:5000/gcr"}, "docker.io": {"127.0.0.1:5000", "mirror.internal.example"}})
	want := "[registry.\"docker.io\"]\n  mirrors = [\"127.0.0.1:5000\", \"mirror.internal.example\"]\n[registry.\"gcr.io\"]\n  mirrors = [\"127.0.0.1:5000/gcr\"]\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
