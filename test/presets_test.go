package test_test

import (
	"context"
	"strings"
	"testing"

	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/test/harness"
)

// TestNodeAndPythonPresets builds examples/node-app and examples/python-app
// from their distill.yaml, runs each service in its runtime image as nonroot
// and asks it for a greeting; the images carry no npm, pip or shell, and
// only production dependencies.
func TestNodeAndPythonPresets(t *testing.T) {
	b := buildBases(t)
	e := harness.Engine(t)
	for _, tc := range []struct {
		example          string
		server           []string
		want, notWant    []string // files in the image
		greeting, health string
	}{
		{
			example: "node-app", server: []string{"/usr/bin/node", "/app/server.js"},
			want:     []string{"app/server.js", "app/dist/version.json", "app/node_modules/ms/package.json", "usr/bin/node"},
			notWant:  []string{"app/node_modules/semver/package.json", "usr/bin/npm", "usr/bin/sh", "usr/bin/bash"},
			greeting: `"message":"Hello, world!"`,
		},
		{
			example: "python-app", server: []string{"/opt/venv/bin/python3", "-m", "app"},
			want:     []string{"app/app/__main__.py", "opt/venv/pyvenv.cfg", "usr/bin/python3.11"},
			notWant:  []string{"app/tests/test_server.py", "usr/bin/pip3", "usr/bin/sh", "usr/bin/bash"},
			greeting: `"message"`,
		},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := exampleDir(t, tc.example)
			s, err := pipeline.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			res, err := pipeline.BuildSpec(context.Background(), s, buildOpts(t, b, pipeline.Dir(dir))...)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s, %d bytes, stages %+v", tc.example, res.Digest, res.Images[0].Size, res.Stages)
			files := imageFiles(t, res.Layout)
			for _, p := range tc.want {
				if _, ok := files[p]; !ok {
					t.Errorf("%s lacks %s", tc.example, p)
				}
			}
			for _, p := range tc.notWant {
				if _, ok := files[p]; ok {
					t.Errorf("%s ships %s", tc.example, p)
				}
			}
			img := layoutImage(t, res.Layout)
			cf, _ := img.ConfigFile()
			if strings.Join(cf.Config.Entrypoint, " ") != strings.Join(tc.server, " ") || cf.Config.User != "65532:65532" {
				t.Fatalf("config: entrypoint %q user %q", cf.Config.Entrypoint, cf.Config.User)
			}
			const port = "18282"
			outs := runInImage(t, e, b, res.Layout, img, []containerRun{
				{args: tc.server, env: append(cf.Config.Env, "PORT="+port), user: cf.Config.User, cwd: cf.Config.WorkingDir, background: true},
				{args: []string{"/dbg/usr/bin/busybox", "sh", "-c",
					"for i in $(seq 100); do /dbg/usr/bin/busybox wget -qO- http://127.0.0.1:" + port + "/ && exit 0; sleep 0.1; done; exit 1"}, user: "0:0"},
				{args: []string{"/dbg/usr/bin/busybox", "ps", "-o", "user,args"}, user: "0:0"},
			})
			t.Logf("in the image:\n%s", strings.Join(outs, "\n---\n"))
			mustContain(t, "the service's answer", outs[1], tc.greeting)
			mustContain(t, "process list", outs[2], "nonroot  "+tc.server[0])
		})
	}
}
