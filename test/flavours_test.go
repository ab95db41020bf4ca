package test_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/test/harness"
)

// languages assembles the language flavours on demand, once each, with one
// service and cache for the whole test, so they share parent layers and
// downloads (python3 and nodejs share cc's; node and python share debian's).
type languages struct {
	svc     *baseimage.Service
	lock    string
	results map[string]*rootfs.Result
}

func newLanguages(t *testing.T) *languages {
	t.Helper()
	lock := filepath.Join(t.TempDir(), "distill.lock")
	svc, err := baseimage.New(baseimage.Config{CacheDir: t.TempDir(), LockPath: lock, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return &languages{svc: svc, lock: lock, results: map[string]*rootfs.Result{}}
}

// get assembles flavour from the real Debian mirror (or returns it) and logs
// its size.
func (l *languages) get(t *testing.T, flavour string) *rootfs.Result {
	t.Helper()
	if res, ok := l.results[flavour]; ok {
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	begin := time.Now()
	res, err := l.svc.Build(ctx, rootfs.Request{Flavour: flavour, Platform: "linux/amd64"})
	if err != nil {
		t.Fatalf("assembling %s: %v", flavour, err)
	}
	comp, unp := imageSizes(t, res.Image)
	t.Logf("%s: %s, %.2f MiB compressed, %.2f MiB unpacked, %d packages, assembled in %s", flavour, digestOf(t, res.Image),
		float64(comp)/(1<<20), float64(unp)/(1<<20), len(res.Packages), time.Since(begin).Round(time.Millisecond))
	l.results[flavour] = res
	return res
}

// state is the flavour as the base of an LLB stage, read from the service's store.
func (l *languages) state(t *testing.T, flavour string) llb.State {
	t.Helper()
	res := l.get(t, flavour)
	cf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return llbgen.FromStore("distill/"+flavour, digestOf(t, res.Image), cf)
}

// run runs args on flavour as the image's user with a writable /out and
// returns what the command wrote into /out/w.
func (l *languages) run(t *testing.T, e *engine.Engine, flavour string, args ...string) string {
	t.Helper()
	out := l.state(t, flavour).Run(llb.Args(args), llb.WithCustomNamef("run on %s", flavour)).AddMount("/out", writableOut())
	return filepath.Join(solveStore(t, e, l.svc, out, nil), "w")
}

func readResult(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s", name, b)
	return string(b)
}

// pythonCheck uses the standard library modules a service needs: ssl with
// the image's CA bundle, sqlite3, json, zoneinfo with tzdata, and http.server
// answering urllib over loopback. It runs without a shell, so it writes its
// report itself.
const pythonCheck = `
import datetime, http.server, json, os, sqlite3, ssl, sys, threading, urllib.request, zoneinfo

ctx = ssl.create_default_context()
db = sqlite3.connect(":memory:")
paris = zoneinfo.ZoneInfo("Europe/Paris")

class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from http.server"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
threading.Thread(target=srv.serve_forever, daemon=True).start()
with urllib.request.urlopen("http://127.0.0.1:%d/" % srv.server_port) as r:
    http_body = r.read().decode()
srv.shutdown()

report = {
    "python": sys.version.split()[0],
    "executable": sys.executable,
    "uid": os.getuid(),
    "openssl": ssl.OPENSSL_VERSION,
    "ca_certs": ctx.cert_store_stats()["x509_ca"],
    "sqlite": db.execute("select sqlite_version()").fetchone()[0],
    "paris_summer_offset": str(datetime.datetime(2024, 7, 1, tzinfo=paris).utcoffset()),
    "http": http_body,
    "fsencoding": sys.getfilesystemencoding(),
}
with open("/out/w/result", "w") as f:
    json.dump(report, f, sort_keys=True)
`

// nodeCheck uses crypto, https (an agent with the default CA store), ICU
// (full locale data from libicu), fetch (Debian's node-undici) against an
// http server over loopback, and fs to write its report.
const nodeCheck = `
const crypto = require('crypto'), fs = require('fs'), http = require('http'), https = require('https'), tls = require('tls');
const srv = http.createServer((req, res) => res.end('hello from node http'));
srv.listen(0, '127.0.0.1', async () => {
  const r = await fetch('http://127.0.0.1:' + srv.address().port + '/');
  const report = {
    node: process.version,
    uid: process.getuid(),
    openssl: process.versions.openssl,
    sha256: crypto.createHash('sha256').update('distill').digest('hex'),
    random: crypto.randomBytes(16).length,
    https_agent: new https.Agent({keepAlive: true}).options.keepAlive,
    root_certs: tls.rootCertificates.length,
    month: new Intl.DateTimeFormat('fr-FR', {month: 'long', timeZone: 'Europe/Paris'}).format(new Date(Date.UTC(2024, 6, 1))),
    fetch: await r.text(),
  };
  fs.writeFileSync('/out/w/result', JSON.stringify(report));
  srv.close();
});
`

func decodeReport(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("report %q: %v", s, err)
	}
	return m
}

// TestLanguageFlavours assembles the python3 and nodejs runtimes and the node
// and python builders from the Debian mirror and runs each in BuildKit.
func TestLanguageFlavours(t *testing.T) {
	harness.Integration(t)
	l := newLanguages(t)

	t.Run("runtimes ship no shell and nodejs no npm", func(t *testing.T) {
		forbidden := []string{"usr/bin/sh", "usr/bin/bash", "usr/bin/dash", "usr/bin/busybox", "usr/bin/apt-get", "usr/bin/dpkg"}
		for _, f := range []string{"python3", "nodejs"} {
			res := l.get(t, f)
			files := layerFiles(t, res.Image)
			for _, p := range forbidden {
				if _, ok := files[p]; ok {
					t.Errorf("%s ships %s", f, p)
				}
			}
			for _, p := range res.Packages {
				if p.Name == "dpkg" || p.Name == "debconf" || p.Name == "npm" {
					t.Errorf("%s installs %s", f, p.Name)
				}
				if _, ok := files["var/lib/dpkg/status.d/"+p.Name]; !ok {
					t.Errorf("%s: no status.d record for %s", f, p.Name)
				}
			}
			cf, err := res.Image.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Config.User != "65532:65532" || len(cf.Config.Entrypoint) != 0 {
				t.Errorf("%s: user %q entrypoint %q", f, cf.Config.User, cf.Config.Entrypoint)
			}
			// The language layer comes on top of cc's, shared.
			ll, _ := res.Image.Layers()
			if len(ll) != 4 {
				t.Errorf("%s has %d layers, want static, base, cc and its own", f, len(ll))
			}
		}
		py := layerFiles(t, l.get(t, "python3").Image)
		if h := py["usr/bin/python3"]; h == nil || h.Linkname != "python3.11" {
			t.Errorf("python3: usr/bin/python3 = %+v, want a link to python3.11", h)
		}
		node := layerFiles(t, l.get(t, "nodejs").Image)
		for _, p := range []string{"usr/bin/node", "usr/bin/nodejs", "usr/share/nodejs/undici"} {
			if _, ok := node[p]; !ok {
				t.Errorf("nodejs lacks %s", p)
			}
		}
		for _, p := range []string{"usr/bin/npm", "usr/bin/npx", "usr/share/nodejs/npm"} {
			if _, ok := node[p]; ok {
				t.Errorf("nodejs ships %s", p)
			}
		}
		pl, _ := l.get(t, "python3").Image.Layers()
		nl, _ := l.get(t, "nodejs").Image.Layers()
		for i := range 3 {
			a, _ := pl[i].Digest()
			b, _ := nl[i].Digest()
			if a != b {
				t.Errorf("layer %d: python3 %s, nodejs %s: both should be cc's", i, a, b)
			}
		}
	})

	t.Run("runtimes are reproducible and replay from the lock", func(t *testing.T) {
		runtimes := []string{"python3", "nodejs"}
		for _, f := range runtimes {
			l.get(t, f)
		}
		if err := l.svc.SaveLock(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		for _, cfg := range []baseimage.Config{
			{CacheDir: t.TempDir()},                                 // new downloads, new index
			{CacheDir: t.TempDir(), LockPath: l.lock, Locked: true}, // what the lock pins, no index
		} {
			svc, err := baseimage.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range runtimes {
				res, err := svc.Build(ctx, rootfs.Request{Flavour: f, Platform: "linux/amd64"})
				if err != nil {
					t.Fatalf("%s (locked=%v): %v", f, cfg.Locked, err)
				}
				if got, want := digestOf(t, res.Image), digestOf(t, l.get(t, f).Image); got != want {
					t.Errorf("%s (locked=%v): %s, first build %s", f, cfg.Locked, got, want)
				}
			}
		}
	})

	e := harness.Engine(t)

	t.Run("python3 runs the standard library as nonroot", func(t *testing.T) {
		r := decodeReport(t, readResult(t, l.run(t, e, "python3", "/usr/bin/python3", "-c", pythonCheck), "result"))
		want := map[string]any{
			"executable": "/usr/bin/python3", "uid": float64(rootfs.Nonroot), "paris_summer_offset": "2:00:00",
			"http": "hello from http.server", "fsencoding": "utf-8",
		}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("%s = %v, want %v", k, r[k], v)
			}
		}
		if v, _ := r["python"].(string); !strings.HasPrefix(v, "3.11.") {
			t.Errorf("python %v, want 3.11.x", r["python"])
		}
		if v, _ := r["openssl"].(string); !strings.HasPrefix(v, "OpenSSL 3.") {
			t.Errorf("openssl %v", r["openssl"])
		}
		if n, _ := r["ca_certs"].(float64); n < 100 {
			t.Errorf("ssl loaded %v CA certificates from SSL_CERT_FILE, want the Debian bundle", r["ca_certs"])
		}
		if v, _ := r["sqlite"].(string); !strings.HasPrefix(v, "3.") {
			t.Errorf("sqlite %v", r["sqlite"])
		}
	})

	t.Run("python3:debug has a shell", func(t *testing.T) {
		dir := l.run(t, e, "python3:debug", "/busybox/sh", "-c", "python3 --version > /out/w/version && id -u >> /out/w/version")
		if got := readResult(t, dir, "version"); !strings.HasPrefix(got, "Python 3.11.") || !strings.HasSuffix(got, "\n65532\n") {
			t.Errorf("python3:debug printed %q", got)
		}
	})

	t.Run("nodejs runs crypto, https and fetch as nonroot", func(t *testing.T) {
		r := decodeReport(t, readResult(t, l.run(t, e, "nodejs", "/usr/bin/node", "-e", nodeCheck), "result"))
		want := map[string]any{
			"uid": float64(rootfs.Nonroot), "random": float64(16), "https_agent": true, "month": "juillet",
			"sha256": "8fc7c369e975ce040f8e211015c641b6e4087e1bdc93f87df00476b4e35403a9", "fetch": "hello from node http",
		}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("%s = %v, want %v", k, r[k], v)
			}
		}
		if v, _ := r["node"].(string); !strings.HasPrefix(v, "v18.") {
			t.Errorf("node %v, want v18.x", r["node"])
		}
		if n, _ := r["root_certs"].(float64); n < 100 {
			t.Errorf("tls.rootCertificates has %v entries", r["root_certs"])
		}
	})

	t.Run("node builder runs npm", func(t *testing.T) {
		dir := l.run(t, e, "node", "sh", "-ec", `node --version > /out/w/versions
npm --version >> /out/w/versions
cd "$(mktemp -d)"
npm init -y > /dev/null
cp package.json /out/w/package.json`)
		versions := strings.Fields(readResult(t, dir, "versions"))
		if len(versions) != 2 || !strings.HasPrefix(versions[0], "v18.") || !strings.HasPrefix(versions[1], "9.") {
			t.Errorf("node and npm versions %q, want v18.x and 9.x", versions)
		}
		if pkg := decodeReport(t, readResult(t, dir, "package.json")); pkg["version"] != "1.0.0" || pkg["name"] == nil {
			t.Errorf("npm init -y wrote %v", pkg)
		}
	})

	t.Run("python builder makes venvs that run on python3", func(t *testing.T) {
		dir := l.run(t, e, "python", "sh", "-ec", `python3 -m venv /tmp/v
/tmp/v/bin/python -c 'import sys; print(sys.prefix)' > /out/w/prefix
/tmp/v/bin/pip --version > /out/w/pip
pip3 --version >> /out/w/pip`)
		if got := readResult(t, dir, "prefix"); got != "/tmp/v\n" {
			t.Errorf("venv sys.prefix %q, want /tmp/v", got)
		}
		pip := readResult(t, dir, "pip")
		if !strings.Contains(pip, "/tmp/v/lib/python3.11/site-packages/pip") || !strings.Contains(pip, "/usr/lib/python3/dist-packages/pip") {
			t.Errorf("pip --version in the venv and the system: %q", pip)
		}

		// The distroless pattern: a venv made in the builder, copied onto the
		// runtime, imports from its site-packages as nonroot.
		venv := l.state(t, "python").Run(llb.Args([]string{"sh", "-ec", `python3 -m venv /out/venv
echo 'GREETING = "hello from site-packages"' > "$(/out/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/distill_hello.py"`}),
			llb.WithCustomName("make a venv in the python builder")).AddMount("/out", llb.Scratch())
		app := l.state(t, "python3").
			File(llb.Copy(venv, "venv", "/venv", &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true})).
			Run(llb.Args([]string{"/venv/bin/python3", "-c", `import distill_hello, sys
open("/out/w/result", "w").write("%s %s %s" % (distill_hello.GREETING, sys.prefix, distill_hello.__file__))`}),
				llb.WithCustomName("run the venv on python3")).
			AddMount("/out", writableOut())
		got := readResult(t, filepath.Join(solveStore(t, e, l.svc, app, nil), "w"), "result")
		if want := "hello from site-packages /venv /venv/lib/python3.11/site-packages/distill_hello.py"; got != want {
			t.Errorf("the venv on python3 printed %q, want %q", got, want)
		}
	})
}
