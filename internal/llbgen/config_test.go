package llbgen

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/pipeline/spec"
)

func TestImageConfig(t *testing.T) {
	s := twoPlatformGo()
	s.Runtime.Env = map[string]string{"PORT": "8080", "SSL_CERT_FILE": "/app/ca.pem"}
	s.Runtime.Ports = []string{"8080", "9090/udp"}
	s.Runtime.Labels = map[string]string{"org.opencontainers.image.vendor": "Example", "team": "core"}
	prog, _ := generate(t, s, Options{Source: "https://example.invalid/team/app", Revision: "0123abc"})

	for _, rt := range prog.Runtimes {
		img := rt.Config
		p := rt.Platform
		if img.OS != p.OS || img.Architecture != p.Arch || img.Variant != "" {
			t.Errorf("%s: platform %v", p, img.Platform)
		}
		if img.Created == nil || !img.Created.Equal(epoch) {
			t.Errorf("%s: created %v, want the epoch", p, img.Created)
		}
		c := img.Config
		if !slices.Equal(c.Entrypoint, []string{"/app/app"}) {
			t.Errorf("%s: entrypoint %q", p, c.Entrypoint)
		}
		if c.Cmd != nil {
			t.Errorf("%s: cmd %q: a new entrypoint resets the base's command", p, c.Cmd)
		}
		// The base's variables keep their place; a new value replaces the
		// base's; new variables follow in order.
		wantEnv := []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"SSL_CERT_FILE=/app/ca.pem",
			"PORT=8080",
		}
		if !slices.Equal(c.Env, wantEnv) {
			t.Errorf("%s: env %q, want %q", p, c.Env, wantEnv)
		}
		if c.User != "65532:65532" {
			t.Errorf("%s: user %q", p, c.User)
		}
		if c.WorkingDir != "/" {
			t.Errorf("%s: workdir %q, want the base's", p, c.WorkingDir)
		}
		if got := slices.Sorted(maps.Keys(c.ExposedPorts)); !slices.Equal(got, []string{"22/tcp", "8080/tcp", "9090/udp"}) {
			t.Errorf("%s: ports %q", p, got)
		}
		wantLabels := map[string]string{
			"org.opencontainers.image.title":     "app",
			"org.opencontainers.image.created":   "2023-11-14T22:13:20Z",
			"org.opencontainers.image.source":    "https://example.invalid/team/app",
			"org.opencontainers.image.revision":  "0123abc",
			"org.opencontainers.image.base.name": "distill/static",
			"org.opencontainers.image.vendor":    "Example", // the Spec's over the base's
			"team":                               "core",
		}
		if !maps.Equal(c.Labels, wantLabels) {
			t.Errorf("%s: labels %v, want %v", p, c.Labels, wantLabels)
		}
		if n := len(img.History); n != 2 || !img.History[1].Created.Equal(epoch) || img.History[1].EmptyLayer || img.History[0].CreatedBy != "distill base" {
			t.Errorf("%s: history %+v", p, img.History)
		}
		if len(img.RootFS.DiffIDs) != 1 {
			t.Errorf("%s: diff ids %v: the base's layers, the new one is the exporter's", p, img.RootFS.DiffIDs)
		}
	}
	if prog.Runtimes[0].Config.RootFS.DiffIDs[0] == prog.Runtimes[1].Config.RootFS.DiffIDs[0] {
		t.Error("both platforms got the same base config")
	}
}

func TestImageConfigOverrides(t *testing.T) {
	prog, _ := generate(t, &spec.Spec{
		Name:  "py",
		Build: spec.Build{Python: &spec.PythonBuild{Main: "-m app"}},
		Runtime: spec.Runtime{
			Cmd: []string{"--port", "8080"}, Workdir: "/data", User: "nonroot",
			Env: map[string]string{"PYTHONUNBUFFERED": "0"},
		},
	}, Options{Epoch: time.Unix(0, 0)})
	c := prog.Runtimes[0].Config.Config
	if !slices.Equal(c.Entrypoint, []string{"/opt/venv/bin/python3", "-m", "app"}) || !slices.Equal(c.Cmd, []string{"--port", "8080"}) {
		t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
	}
	if c.WorkingDir != "/data" || c.User != "nonroot" {
		t.Errorf("workdir %q user %q", c.WorkingDir, c.User)
	}
	wantEnv := []string{
		"PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		"PYTHONUNBUFFERED=0",
	}
	if !slices.Equal(c.Env, wantEnv) {
		t.Errorf("env %q, want %q", c.Env, wantEnv)
	}
	l := c.Labels
	if l["org.opencontainers.image.created"] != "1970-01-01T00:00:00Z" || l["org.opencontainers.image.title"] != "py" {
		t.Errorf("labels %v", l)
	}
	for _, gone := range []string{"org.opencontainers.image.source", "org.opencontainers.image.revision", "org.opencontainers.image.description"} {
		if v, ok := l[gone]; ok {
			t.Errorf("label %s=%q: set without a value to set it from", gone, v)
		}
	}
	if l["org.opencontainers.image.vendor"] != "distill" {
		t.Errorf("the base's other labels are kept: %v", l)
	}
}

// Without artifacts the runtime is the base with a new config: its history
// entry is an empty layer.
func TestImageConfigNoArtifacts(t *testing.T) {
	g := &plan.Graph{
		Name:      "plain",
		Source:    plan.Source{Local: &plan.LocalSource{Path: "."}},
		Platforms: []plan.Platform{amd64},
		Runtime:   plan.Runtime{Base: plan.BaseRef{Flavour: "static"}},
	}
	prog, err := Generate(g, &FakeBases{}, Options{Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	img := prog.Runtimes[0].Config
	if h := img.History[len(img.History)-1]; !h.EmptyLayer {
		t.Errorf("history %+v: want an empty layer", h)
	}
	if !slices.Equal(img.Config.Cmd, []string{"/bin/sh"}) {
		t.Errorf("cmd %q: without an entrypoint the base's stays", img.Config.Cmd)
	}
	if len(prog.Builds) != 0 || len(prog.Tests) != 0 {
		t.Errorf("builds %v tests %v", prog.Builds, prog.Tests)
	}
}

// The base's config given by Bases is not modified.
func TestImageConfigKeepsBase(t *testing.T) {
	b := &FakeBases{}
	_, base, _ := b.Base(plan.BaseRef{Flavour: "static"}, amd64)
	before := *base
	beforeEnv, beforeLabels := slices.Clone(base.Config.Env), maps.Clone(base.Config.Labels)
	gen := &generator{
		graph: &plan.Graph{Name: "x", Runtime: plan.Runtime{Config: plan.ImageConfig{
			Entrypoint: []string{"/x"}, Env: []plan.KV{{Key: "PATH", Value: "/x"}, {Key: "NEW", Value: "1"}}, Ports: []string{"1/tcp"},
			Labels: []plan.KV{{Key: "org.opencontainers.image.vendor", Value: "me"}},
		}}},
		opts: Options{Epoch: epoch},
	}
	if _, err := gen.imageConfig(base, amd64); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(base.Config.Env, beforeEnv) || !maps.Equal(base.Config.Labels, beforeLabels) ||
		len(base.Config.ExposedPorts) != 1 || len(base.History) != len(before.History) || !slices.Equal(base.Config.Cmd, before.Config.Cmd) {
		t.Errorf("imageConfig modified the base: %+v", base.Config)
	}
}
