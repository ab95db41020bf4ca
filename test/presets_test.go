package test_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/pipeline"
	"github.com/distill-dev/distill/test/harness"
)

// TestNodeAndPythonPresets builds examples/node-app and examples/python-app
// from their distill.yaml, runs each service in its runtime image as nonroot
// and asks it for a greeting; the images carry no npm, pip or shell, and
// only production dependencies, which the runtime SBOM lists (pkg:npm,
// pkg:pypi). The Python app is given a requirement, served by a package
// index on loopback (PIP_INDEX_URL, as a company mirror would be).
func TestNodeAndPythonPresets(t *testing.T) {
	b := buildBases(t)
	e := harness.Engine(t)
	for _, tc := range []struct {
		example          string
		server           []string
		want, notWant    []string // files in the image
		greeting, health string
		requirements     string   // requirements.txt to add (Python)
		purls, notPurls  []string // in the runtime SBOM, and not
	}{
		{
			example: "node-app", server: []string{"/usr/bin/node", "/app/server.js"},
			want:     []string{"app/server.js", "app/dist/version.json", "app/node_modules/ms/package.json", "usr/bin/node"},
			notWant:  []string{"app/node_modules/semver/package.json", "usr/bin/npm", "usr/bin/sh", "usr/bin/bash"},
			greeting: `"message":"Hello, world!"`,
			purls:    []string{"pkg:npm/ms@2.1.3"}, notPurls: []string{"pkg:npm/semver"},
		},
		{
			example: "python-app", server: []string{"/opt/venv/bin/python3", "-m", "app"},
			want: []string{"app/app/__main__.py", "opt/venv/pyvenv.cfg", "usr/bin/python3.11",
				"opt/venv/lib/python3.11/site-packages/distill_greeting/__init__.py"},
			notWant: []string{"app/tests/test_server.py", "usr/bin/pip3", "usr/bin/sh", "usr/bin/bash",
				"opt/venv/bin/pip", "opt/venv/lib/python3.11/site-packages/pip/__init__.py"},
			greeting:     `"message"`,
			requirements: "distill-greeting==1.0.0\n",
			purls:        []string{"pkg:pypi/distill-greeting@1.0.0"}, notPurls: []string{"pkg:pypi/pip@", "pkg:pypi/setuptools@"},
		},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := exampleDir(t, tc.example)
			if tc.requirements != "" {
				dir = t.TempDir()
				copyTree(t, exampleDir(t, tc.example), dir)
				if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(tc.requirements), 0o644); err != nil {
					t.Fatal(err)
				}
				index := pythonIndex(t, "distill-greeting", "1.0.0")
				t.Setenv("PIP_INDEX_URL", index+"/simple/")
				t.Setenv("PIP_TRUSTED_HOST", "127.0.0.1")
			}
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
			purls := runtimePURLs(t, res)
			for _, p := range tc.purls {
				if !purls[p] {
					t.Errorf("the runtime SBOM of %s lacks %s (it lists %v)", tc.example, p, purls)
				}
			}
			for p := range purls {
				for _, not := range tc.notPurls {
					if strings.HasPrefix(p, not) {
						t.Errorf("the runtime SBOM of %s lists %s", tc.example, p)
					}
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

// runtimePURLs are the package URLs of the runtime's CycloneDX SBOM.
func runtimePURLs(t *testing.T, res *pipeline.Result) map[string]bool {
	t.Helper()
	if len(res.Scans) == 0 || res.Scans[0].Label != "runtime" {
		t.Fatalf("no runtime scan in the result: %+v", res.Scans)
	}
	var bom struct {
		Components []struct {
			PURL string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal(res.Scans[0].CDX, &bom); err != nil {
		t.Fatal(err)
	}
	purls := map[string]bool{}
	for _, c := range bom.Components {
		if c.PURL != "" {
			purls[c.PURL] = true
		}
	}
	return purls
}

// pythonIndex serves a PEP 503 simple index on loopback with one pure-Python
// wheel of project name at version, made here, and returns its URL.
func pythonIndex(t *testing.T, name, version string) string {
	t.Helper()
	dist := strings.ReplaceAll(name, "-", "_")
	file := fmt.Sprintf("%s-%s-py3-none-any.whl", dist, version)
	info := fmt.Sprintf("%s-%s.dist-info", dist, version)
	files := [][2]string{
		{dist + "/__init__.py", "GREETING = \"Hello from a wheel\"\n"},
		{info + "/METADATA", fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: distill test package\nLicense: Apache-2.0\n", name, version)},
		{info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: distill-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
		sum := sha256.Sum256([]byte(f[1]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f[0], base64.RawURLEncoding.EncodeToString(sum[:]), len(f[1]))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	w, err := zw.Create(info + "/RECORD")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	wheel := buf.Bytes()
	sum := sha256.Sum256(wheel)

	mux := http.NewServeMux()
	mux.HandleFunc("/simple/"+name+"/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!DOCTYPE html><html><body><a href=\"/files/%s#sha256=%s\">%s</a></body></html>\n", file, hex.EncodeToString(sum[:]), file)
	})
	mux.HandleFunc("/files/"+file, func(w http.ResponseWriter, r *http.Request) { w.Write(wheel) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}
