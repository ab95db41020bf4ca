package test_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"debug/elf"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/agent"

	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/pipeline/spec"
	"github.com/distill-dev/distill/test/harness"
)

// TestCacheMountAndSSHAgent: a step's cache mount keeps what one build wrote
// for the next build's (different) step, and a step with an SSH mount talks to
// the client's SSH agent — here an agent this test serves, holding one key,
// asked for its identities with the agent protocol (perl from the builder's
// perl-base; the builder has no ssh client).
func TestCacheMountAndSSHAgent(t *testing.T) {
	b := buildBases(t)
	harness.Engine(t)

	// The client's SSH agent.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	comment := fmt.Sprintf("distill-test-key-%d", time.Now().UnixNano())
	if err := keyring.Add(agent.AddedKey{PrivateKey: key, Comment: comment}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); agent.ServeAgent(keyring, c) }()
		}
	}()

	nonce := fmt.Sprint(time.Now().UnixNano())
	cache := []spec.Cache{{Target: "/root/.cache/distill-test", ID: "distill-test-mounts-" + nonce}}
	build := func(steps ...spec.Step) map[string]string {
		t.Helper()
		s := &spec.Spec{
			APIVersion: spec.APIVersion, Name: "mounts",
			Build: spec.Build{Image: "debian", Steps: steps,
				Artifacts: []spec.Artifact{{From: "out"}}},
			Runtime: spec.Runtime{Base: "static", Entrypoint: []string{"/app/out"}},
			Scan:    &spec.Scan{Skip: true},
		}
		dir := t.TempDir()
		res, err := pipeline.BuildSpec(context.Background(), s, append(buildOpts(t, b, pipeline.Dir(dir)),
			pipeline.SSHAgent("default="+sock))...)
		if err != nil {
			t.Fatal(err)
		}
		img := layoutImage(t, res.Layout)
		out := map[string]string{}
		for p := range layerFiles(t, img) {
			if rest, ok := strings.CutPrefix(p, "app/out/"); ok && rest != "" {
				out[rest] = string(fileFromImage(t, img, p))
			}
		}
		return out
	}

	first := build(spec.Step{
		Name:   "fill the cache",
		Run:    "mkdir -p out && echo " + nonce + " > /root/.cache/distill-test/written-by-build-1 && echo done > out/first",
		Caches: cache,
	})
	if first["first"] != "done\n" {
		t.Fatalf("first build: %v", first)
	}
	second := build(spec.Step{
		Name:   "read the cache, ask the agent",
		Run:    "mkdir -p out && cp /root/.cache/distill-test/written-by-build-1 out/cached && " + agentIdentities + " > out/agent",
		Caches: cache,
		SSH:    []spec.SSH{{Required: true}},
	})
	if got := strings.TrimSpace(second["cached"]); got != nonce {
		t.Errorf("the second build's step read %q from the cache mount, the first wrote %q", got, nonce)
	}
	if !strings.Contains(second["agent"], comment) {
		t.Errorf("the step's SSH agent did not list the client's key %q: %q", comment, second["agent"])
	}
}

// agentIdentities asks the agent at $SSH_AUTH_SOCK for its identities
// (SSH2_AGENTC_REQUEST_IDENTITIES) and prints the raw answer.
const agentIdentities = `perl -MIO::Socket::UNIX -e '` +
	`$s = IO::Socket::UNIX->new(Peer => $ENV{SSH_AUTH_SOCK}) or die "agent: $!"; ` +
	`print $s pack("NC", 1, 11); read($s, $l, 4) == 4 or die "agent: short read"; ` +
	`read($s, $b, unpack("N", $l)); print $b'`

// TestGoCGOOnCC: the Go preset with cgo builds a dynamically linked binary
// against the builder's gcc and glibc, and it runs, as nonroot, on the cc
// runtime (which has the glibc it links to, and no compiler).
func TestGoCGOOnCC(t *testing.T) {
	b := buildBases(t)
	e := harness.Engine(t)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod": "module example.com/cgoapp\n\ngo 1.26\n",
		"main.go": `package main

/*
static int answer(void) { return 42; }
*/
import "C"

import "fmt"

func main() { fmt.Println("cgo says", int(C.answer())) }
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := &spec.Spec{
		APIVersion: spec.APIVersion, Name: "cgoapp",
		Build: spec.Build{Go: &spec.GoBuild{Main: ".", CGO: true}},
	}
	res, err := pipeline.BuildSpec(context.Background(), s, buildOpts(t, b, pipeline.Dir(dir))...)
	if err != nil {
		t.Fatal(err)
	}
	img := layoutImage(t, res.Layout)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	files := layerFiles(t, img)
	for _, p := range []string{"usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libstdc++.so.6"} {
		if _, ok := files[p]; !ok {
			t.Errorf("the cc runtime lacks %s", p)
		}
	}
	for p := range files {
		if strings.HasSuffix(p, "bin/gcc") || strings.HasSuffix(p, "bin/cc") {
			t.Errorf("a compiler in the runtime: %s", p)
		}
	}
	bin := fileFromImage(t, img, strings.TrimPrefix(cf.Config.Entrypoint[0], "/"))
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	interp := false
	for _, p := range ef.Progs {
		interp = interp || p.Type == elf.PT_INTERP
	}
	if !interp {
		t.Errorf("%s is statically linked: cgo was not used", cf.Config.Entrypoint[0])
	}
	outs := runInImage(t, e, b, res.Layout, img, []containerRun{
		{args: cf.Config.Entrypoint, env: cf.Config.Env, user: cf.Config.User},
	})
	if got := strings.TrimSpace(outs[0]); got != "cgo says 42" || cf.Config.User != "65532:65532" {
		t.Errorf("the cgo binary said %q as %q", got, cf.Config.User)
	}
}
