package spec

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
)

var (
	nameRe    = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)
	envKeyRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	versionRe = regexp.MustCompile(`^(go)?1\.(\d+)(\.\d+)?$`)
	idRe      = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// SupportedPlatforms are the platforms distill builds runtimes for.
var SupportedPlatforms = []string{"linux/amd64", "linux/arm64"}

// runtimeUsers are the accounts of distill's runtime flavours.
var runtimeUsers = []string{"root", "nobody", "nonroot"}

// Validate checks a Spec (defaults applied first) and returns every problem
// as Errors, each naming its field.
func (s *Spec) Validate() error {
	d := s.WithDefaults()
	e := &errs{}
	if d.APIVersion != APIVersion {
		e.add("apiVersion", "%q is not supported (want %q)", d.APIVersion, APIVersion)
	}
	switch {
	case d.Name == "":
		e.add("name", "required")
	case !nameRe.MatchString(d.Name):
		e.add("name", "%q: use lower-case letters, digits and . _ - separators", d.Name)
	}
	validateSource(e, d.Source)
	validatePlatforms(e, d.Platforms)
	validateEnv(e, "args", d.Args)
	validateBuild(e, d)
	if d.Test != nil {
		validateTest(e, d)
	}
	validateRuntime(e, d)
	validateScan(e, d)
	return e.err()
}

// Severities a policy names.
var Severities = []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"}

func validateScan(e *errs, s *Spec) {
	stages := map[string]bool{"runtime": true, "build": true}
	if s.Scan != nil {
		for i, st := range s.Scan.Stages {
			if st == "runtime" {
				e.add(fmt.Sprintf("scan.stages[%d]", i), "the runtime is always scanned; list other stages (build, …)")
			}
			if !nameRe.MatchString(st) {
				e.add(fmt.Sprintf("scan.stages[%d]", i), "%q is not a stage name", st)
			}
			stages[st] = true
		}
	}
	p := s.Policy
	if p == nil {
		return
	}
	if p.FailOn != "" && p.FailOn != "NONE" && !slices.Contains(Severities, p.FailOn) {
		e.add("policy.failOn", "%q: want LOW, MEDIUM, HIGH, CRITICAL or NONE", p.FailOn)
	}
	if p.UnknownAs != "" && !slices.Contains(Severities, p.UnknownAs) {
		e.add("policy.unknownAs", "%q: want LOW, MEDIUM, HIGH or CRITICAL", p.UnknownAs)
	}
	for i, ig := range p.Ignore {
		f := fmt.Sprintf("policy.ignore[%d]", i)
		if ig.ID == "" {
			e.add(f+".id", "required")
		}
		if strings.TrimSpace(ig.Reason) == "" {
			e.add(f+".reason", "required: say why the finding is accepted")
		}
		if ig.Expires != "" {
			if _, err := time.Parse(time.DateOnly, ig.Expires); err != nil {
				e.add(f+".expires", "%q: want a date YYYY-MM-DD", ig.Expires)
			}
		}
	}
	for i, v := range p.VEX {
		if path.IsAbs(v) || strings.HasPrefix(path.Clean(v), "..") {
			e.add(fmt.Sprintf("policy.vex[%d]", i), "%q: use a path inside the project", v)
		}
	}
	for _, st := range sortedKeys(p.Stages) {
		if mode := p.Stages[st]; mode != "gate" && mode != "report" {
			e.add("policy.stages."+st, "%q: want gate or report", mode)
		}
		if !stages[st] {
			e.add("policy.stages."+st, "%q is not scanned: add it to scan.stages", st)
		}
	}
}

func validateSource(e *errs, s Source) {
	if s.Git != nil {
		if s.Path != "" && s.Path != "." {
			e.add("source", "set path or git, not both")
		}
		if s.Git.URL == "" {
			e.add("source.git.url", "required")
		}
	}
	if path.IsAbs(s.Path) || strings.HasPrefix(path.Clean(s.Path), "..") {
		e.add("source.path", "%q: use a directory inside the project (relative, no ..)", s.Path)
	}
}

func validatePlatforms(e *errs, ps []string) {
	seen := map[string]bool{}
	for i, p := range ps {
		f := fmt.Sprintf("platforms[%d]", i)
		canon := strings.TrimSuffix(p, "/v8")
		if !slices.Contains(SupportedPlatforms, canon) {
			e.add(f, "%q is not supported (%s)", p, strings.Join(SupportedPlatforms, ", "))
		}
		if seen[canon] {
			e.add(f, "%q is listed twice", p)
		}
		seen[canon] = true
	}
}

func validateEnv(e *errs, field string, env map[string]string) {
	for _, k := range sortedKeys(env) {
		if !envKeyRe.MatchString(k) {
			e.add(field+"."+k, "%q is not a valid environment variable name", k)
		}
	}
}

func validateBuild(e *errs, s *Spec) {
	b := s.Build
	presets := 0
	for _, set := range []bool{b.Go != nil, b.Node != nil, b.Python != nil} {
		if set {
			presets++
		}
	}
	if presets > 1 {
		e.add("build", "choose one preset: go, node or python")
	}
	if presets == 0 {
		if b.Image == "" {
			e.add("build.image", "required without a preset (go, node, python): a builder flavour (%s) or an image reference", strings.Join(BuilderFlavours, ", "))
		}
		if len(b.Steps) == 0 {
			e.add("build.steps", "required without a preset")
		}
		if len(b.Artifacts) == 0 {
			e.add("build.artifacts", "required without a preset: what goes into the runtime")
		}
	}
	if b.Image != "" {
		validateImage(e, "build.image", b.Image, BuilderFlavours, false)
	}
	if g := b.Go; g != nil {
		if m := versionRe.FindStringSubmatch(g.Version); m == nil {
			e.add("build.go.version", "%q: want a Go release such as 1.26 or 1.26.11", g.Version)
		} else if minor, _ := strconv.Atoi(m[2]); minor < 21 {
			e.add("build.go.version", "%q: Go releases before 1.21 are not distributed as toolchain modules (in YAML, quote versions: 1.20 unquoted is the number 1.2)", g.Version)
		}
		if path.IsAbs(g.Main) || strings.HasPrefix(path.Clean(g.Main), "..") {
			e.add("build.go.main", "%q: want a package path inside the project, such as ./cmd/app", g.Main)
		}
		if g.Binary == "" || strings.ContainsAny(g.Binary, "/ \t") {
			e.add("build.go.binary", "%q: want a file name", g.Binary)
		}
		if g.CGO && len(s.Platforms) > 1 {
			e.add("build.go.cgo", "cgo builds for several platforms need cross C toolchains distill does not provide; build one platform")
		}
		if g.CGO && strings.TrimSuffix(s.Runtime.Base, DebugSuffix) == "static" {
			e.add("runtime.base", "static has no C library; a cgo binary needs base or cc")
		}
	}
	validateEnv(e, "build.env", b.Env)
	validateSteps(e, "build.steps", b.Steps)
	for i, a := range b.Artifacts {
		f := fmt.Sprintf("build.artifacts[%d]", i)
		if a.From == "" {
			e.add(f+".from", "required")
		}
		if a.To != "" && !path.IsAbs(a.To) {
			e.add(f+".to", "%q: want an absolute path in the runtime", a.To)
		}
	}
}

func validateTest(e *errs, s *Spec) {
	t := s.Test
	if t.Go != nil && s.Build.Go == nil {
		e.add("test.go", "needs the go build preset")
	}
	validateEnv(e, "test.env", t.Env)
	validateSteps(e, "test.steps", t.Steps)
}

func validateSteps(e *errs, field string, steps []Step) {
	for i, st := range steps {
		f := fmt.Sprintf("%s[%d]", field, i)
		if (st.Run == "") == (len(st.Command) == 0) {
			e.add(f, "set exactly one of run (a shell command) and command (an argument vector)")
		}
		if st.Workdir != "" && !path.IsAbs(st.Workdir) {
			e.add(f+".workdir", "%q: want an absolute path", st.Workdir)
		}
		if st.Network != "" && st.Network != "default" && st.Network != "none" {
			e.add(f+".network", "%q: want default or none", st.Network)
		}
		validateEnv(e, f+".env", st.Env)
		for j, c := range st.Caches {
			cf := fmt.Sprintf("%s.caches[%d]", f, j)
			if !path.IsAbs(c.Target) {
				e.add(cf+".target", "%q: want an absolute path", c.Target)
			}
			switch c.Sharing {
			case "", "shared", "private", "locked":
			default:
				e.add(cf+".sharing", "%q: want shared, private or locked", c.Sharing)
			}
		}
		for j, sec := range st.Secrets {
			sf := fmt.Sprintf("%s.secrets[%d]", f, j)
			if !idRe.MatchString(sec.ID) {
				e.add(sf+".id", "%q: want letters, digits, . _ -", sec.ID)
			}
			if sec.Target != "" && sec.Env != "" {
				e.add(sf, "set target (a file) or env (a variable), not both")
			}
			if sec.Target != "" && !path.IsAbs(sec.Target) {
				e.add(sf+".target", "%q: want an absolute path", sec.Target)
			}
			if sec.Env != "" && !envKeyRe.MatchString(sec.Env) {
				e.add(sf+".env", "%q is not a valid environment variable name", sec.Env)
			}
		}
		for j, ssh := range st.SSH {
			if ssh.Target != "" && !path.IsAbs(ssh.Target) {
				e.add(fmt.Sprintf("%s.ssh[%d].target", f, j), "%q: want an absolute path", ssh.Target)
			}
		}
	}
}

func validateRuntime(e *errs, s *Spec) {
	r := s.Runtime
	flavour := validateImage(e, "runtime.base", r.Base, RuntimeFlavours, true)
	if r.User != "" {
		validateUser(e, r.User, flavour)
	}
	if r.Workdir != "" && !path.IsAbs(r.Workdir) {
		e.add("runtime.workdir", "%q: want an absolute path", r.Workdir)
	}
	validateEnv(e, "runtime.env", r.Env)
	for i, p := range r.Ports {
		port, proto, _ := strings.Cut(p, "/")
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || (proto != "" && proto != "tcp" && proto != "udp") {
			e.add(fmt.Sprintf("runtime.ports[%d]", i), "%q: want PORT or PORT/tcp or PORT/udp", p)
		}
	}
}

// validateImage checks a flavour name or image reference and reports whether
// it is a distill flavour. A bare word without a tag ("statik") is taken for a
// mistyped flavour rather than a Docker Hub image; "golang:1.26" is an image.
func validateImage(e *errs, field, v string, flavours []string, debugAllowed bool) bool {
	if IsFlavour(v, flavours, debugAllowed) {
		return true
	}
	// A flavour of the other kind, or a :debug variant where there is none, is
	// a mistake; "python:3.12" with any other tag is a Docker Hub image.
	if name, tag, tagged := strings.Cut(v, ":"); (!tagged || tag == "debug") && (slices.Contains(RuntimeFlavours, name) || slices.Contains(BuilderFlavours, name)) {
		e.add(field, "%q: here the flavours are %s (only runtime flavours have a %s variant)", v, strings.Join(flavours, ", "), DebugSuffix)
		return false
	}
	if !strings.ContainsAny(v, "/.:@") {
		e.add(field, "%q is not a flavour (%s); for an image, give a tag or digest (%s:latest)", v, strings.Join(flavours, ", "), v)
		return false
	}
	if _, err := reference.ParseNormalizedNamed(v); err != nil {
		e.add(field, "%q is neither a flavour (%s) nor an image reference: %v", v, strings.Join(flavours, ", "), err)
	}
	return false
}

func validateUser(e *errs, user string, flavour bool) {
	name, group, _ := strings.Cut(user, ":")
	for _, part := range []string{name, group} {
		if part == "" {
			continue
		}
		if _, err := strconv.Atoi(part); err == nil {
			continue
		}
		if flavour && !slices.Contains(runtimeUsers, part) {
			e.add("runtime.user", "%q is not a user of distill's runtime flavours (%s, or a numeric uid:gid)", part, strings.Join(runtimeUsers, ", "))
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
