package frontend

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/distill-dev/distill/pipeline/spec"
)

const goApp = `# syntax=registry.invalid/distill/frontend
apiVersion: distill.dev/v1
name: go-app
build:
  go:
    version: "1.26"
    main: ./cmd/go-app
runtime:
  base: static
  env:
    PORT: "8080"
`

func TestIsSpec(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       bool
	}{
		{"distill.yaml", "FROM scratch", true},
		{"build.yml", "", true},
		{"Dockerfile", "# syntax=x\nFROM scratch\n", false},
		{"Dockerfile", "# syntax=x\n\napiVersion: distill.dev/v1\n", true},
		{"Dockerfile.distill", goApp, true},
		{"Dockerfile", "ARG X\nFROM scratch", false},
	} {
		if got := IsSpec(c.name, []byte(c.data)); got != c.want {
			t.Errorf("IsSpec(%q, %q) = %v", c.name, c.data, got)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions(map[string]string{
		"scan-stages": "build, test,build", "fail-on": "critical",
		"build-arg:DISTILL_FIXED_ONLY": "true", "build-arg:SOURCE_DATE_EPOCH": "1700000000",
		"vcs:source": "https://example.invalid/app.git",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !o.scan || strings.Join(o.scanStages, ",") != "build,test" || o.failOn != "CRITICAL" || !o.fixedOnly ||
		o.epoch.Unix() != 1700000000 || o.vcsSource != "https://example.invalid/app.git" {
		t.Errorf("options %+v", o)
	}
	if o, _ := parseOptions(map[string]string{"build-arg:DISTILL_SCAN": "off"}); o.scan {
		t.Error("DISTILL_SCAN=off left scanning on")
	}
	for _, bad := range []map[string]string{{"scan": "maybe"}, {"fixed-only": "yes please"}, {"build-arg:SOURCE_DATE_EPOCH": "yesterday"}} {
		if _, err := parseOptions(bad); err == nil {
			t.Errorf("parseOptions(%v) accepted", bad)
		}
	}
}

func TestApplyOverrides(t *testing.T) {
	s, err := spec.Parse([]byte(goApp), "distill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := applyOverrides(s, map[string]string{
		"runtime.env.PORT": "9090",               // a number in YAML, a string field
		"runtime.base":     "cc",                 //
		"platforms":        "[linux/arm64]",      // no dot: not a field override
		"policy.failOn":    "CRITICAL",           // a field the file does not set
		"filename":         "distill.yaml",       // BuildKit's own option
		"source":           "registry.invalid/x", // gateway.v0's option, not the source field
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Runtime.Env["PORT"] != "9090" || got.Runtime.Base != "cc" || got.Policy == nil || got.Policy.FailOn != "CRITICAL" {
		t.Errorf("overrides not applied: %+v %+v", got.Runtime, got.Policy)
	}
	if len(got.Platforms) != 0 || s.Runtime.Base != "static" {
		t.Errorf("platforms %v, original base %s", got.Platforms, s.Runtime.Base)
	}
	for opt, want := range map[string]string{
		"runtime.bsae":  "unknown field",
		"runtime.user":  "runtime.user",
		"name.first":    "not an object",
		"runtime.ports": "cannot unmarshal",
	} {
		val := "x"
		if opt == "runtime.user" {
			val = "not a user!"
		}
		_, err := applyOverrides(s, map[string]string{opt: val})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), opt) {
			t.Errorf("--opt %s=%s: %v (want %q)", opt, val, err, want)
		}
	}
}

func TestWithSourcePointsAtTheLine(t *testing.T) {
	bad := strings.Replace(goApp, "  base: static", "  bsae: static", 1)
	_, err := spec.Parse([]byte(bad), "distill.yaml")
	if err == nil {
		t.Fatal("an unknown field parsed")
	}
	sm := llb.NewSourceMap(nil, "distill.yaml", "distill.yaml", []byte(bad))
	err = withSource(err, sm)
	srcs := errdefs.Sources(err)
	if len(srcs) != 1 || len(srcs[0].Ranges) != 1 {
		t.Fatalf("sources %+v", srcs)
	}
	if l := srcs[0].Ranges[0].Start.Line; l != 9 {
		t.Errorf("error at line %d, want 9 (runtime.bsae)", l)
	}
	if plain := errors.New("no line"); withSource(plain, sm) != plain {
		t.Error("an error without a position got a source")
	}
}

// fakeClient is a gateway client with build options only.
type fakeClient struct {
	gateway.Client
	opts map[string]string
}

func (c *fakeClient) BuildOpts() gateway.BuildOpts { return gateway.BuildOpts{Opts: c.opts} }

func TestUpstreamAnswersSBOMAndStopsForwarding(t *testing.T) {
	c := &fakeClient{opts: map[string]string{
		"attest:sbom": "", "build-arg:BUILDKIT_ATTEST_SBOM": "true", "build-arg:BUILDKIT_SYNTAX": "x",
		"attest:provenance": "mode=min", "filename": "Dockerfile",
	}}
	got := upstream(c, map[string]string{"target": "build"}).BuildOpts().Opts
	for _, k := range []string{"attest:sbom", "build-arg:BUILDKIT_ATTEST_SBOM", "build-arg:BUILDKIT_SYNTAX"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s passed to the Dockerfile frontend", k)
		}
	}
	if got["cmdline"] == "" || got["target"] != "build" || got["attest:provenance"] != "mode=min" || got["filename"] != "Dockerfile" {
		t.Errorf("opts %v", got)
	}
	if _, ok := c.opts["cmdline"]; ok {
		t.Error("upstream changed the build's own options")
	}
}

// The frontend runs in a bare static image: nothing may need a go command
// (trivy-db's vulnerability sources do at init) or a shell at run time.
func TestFrontendDoesNotImportTrivyDB(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/distill-dev/distill/cmd/distill-frontend").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/aquasecurity/trivy-db/pkg/vulnsrc") {
			t.Errorf("distill-frontend imports %s", p)
		}
	}
}
