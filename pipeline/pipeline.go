package pipeline

import (
	"fmt"
	"maps"
	"slices"

	"github.com/distill-dev/distill/pipeline/spec"
)

// Runtime flavours distill assembles from Debian packages.
const (
	Static  = "static"  // static binaries: CA certificates, tzdata, passwd
	Base    = "base"    // + glibc, OpenSSL
	CC      = "cc"      // + libgcc, libstdc++ (cgo, C++)
	Python3 = "python3" // + the Python 3 interpreter and standard library
	NodeJS  = "nodejs"  // + Node.js
)

// Debug returns a runtime flavour's busybox variant (Debug(Static) = "static:debug").
func Debug(flavour string) string { return flavour + spec.DebugSuffix }

// Pipeline is an immutable builder of a spec.Spec.
type Pipeline struct {
	spec *spec.Spec
	err  error
}

// FromSpec wraps a Spec (from distill.yaml, say) in a Pipeline.
func FromSpec(s *spec.Spec) *Pipeline { return &Pipeline{spec: s.Clone()} }

// New starts an empty pipeline for a custom build: set the builder with
// Builder, the steps with Steps and what ships with Artifacts.
func New(name string) *Pipeline {
	return &Pipeline{spec: &spec.Spec{APIVersion: spec.APIVersion, Name: name}}
}

// with applies f to a copy.
func (p *Pipeline) with(f func(s *spec.Spec) error) *Pipeline {
	c := &Pipeline{spec: p.spec.Clone(), err: p.err}
	if c.err == nil {
		c.err = f(c.spec)
	}
	return c
}

// Spec returns the pipeline as plain data, with the defaults applied.
func (p *Pipeline) Spec() (*spec.Spec, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p.spec.WithDefaults(), nil
}

// Validate reports the first construction error, or the Spec's validation errors.
func (p *Pipeline) Validate() error {
	if p.err != nil {
		return p.err
	}
	return p.spec.Validate()
}

// Name sets the image name.
func (p *Pipeline) Name(name string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Name = name; return nil })
}

// Source sets the project directory, relative to the run's directory.
func (p *Pipeline) Source(dir string, exclude ...string) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		s.Source = spec.Source{Path: dir, Exclude: slices.Clone(exclude)}
		return nil
	})
}

// GitSource builds from a Git repository at ref.
func (p *Pipeline) GitSource(url, ref string) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		s.Source = spec.Source{Git: &spec.GitSource{URL: url, Ref: ref}}
		return nil
	})
}

// Platforms sets the runtime platforms (linux/amd64, linux/arm64).
func (p *Pipeline) Platforms(platforms ...string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Platforms = slices.Clone(platforms); return nil })
}

// Arg sets a build argument (an environment variable of every build and test step).
func (p *Pipeline) Arg(name, value string) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		if s.Args == nil {
			s.Args = map[string]string{}
		}
		s.Args[name] = value
		return nil
	})
}

// Builder sets the build stage's image: a builder flavour (debian, go, node,
// python) or an image reference.
func (p *Pipeline) Builder(image string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Build.Image = image; return nil })
}

// Steps appends build steps (after the preset's).
func (p *Pipeline) Steps(steps ...Step) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		for _, st := range steps {
			s.Build.Steps = append(s.Build.Steps, st.step())
		}
		return nil
	})
}

// Artifacts copies files from the build stage into the runtime (after the preset's).
func (p *Pipeline) Artifacts(artifacts ...spec.Artifact) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		s.Build.Artifacts = append(s.Build.Artifacts, artifacts...)
		return nil
	})
}

// Test sets the Go packages go test runs (Go preset), replacing "./...".
func (p *Pipeline) Test(packages ...string) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		if s.Build.Go == nil {
			return fmt.Errorf("Test(%q): go test packages need the Go preset; use TestSteps", packages)
		}
		t := ensureTest(s)
		if t.Go == nil {
			t.Go = &spec.GoTest{}
		}
		t.Go.Packages = slices.Clone(packages)
		return nil
	})
}

// TestSteps appends test steps (after the preset's tests).
func (p *Pipeline) TestSteps(steps ...Step) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		t := ensureTest(s)
		for _, st := range steps {
			t.Steps = append(t.Steps, st.step())
		}
		return nil
	})
}

// SkipTests leaves the test stage out.
func (p *Pipeline) SkipTests() *Pipeline {
	return p.with(func(s *spec.Spec) error { ensureTest(s).Skip = true; return nil })
}

func ensureTest(s *spec.Spec) *spec.Test {
	if s.Test == nil {
		s.Test = &spec.Test{}
	}
	return s.Test
}

// Runtime sets the runtime base: a flavour (Static, Base, CC, Python3,
// NodeJS, or Debug(…) of one) or an image reference.
func (p *Pipeline) Runtime(base string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Runtime.Base = base; return nil })
}

// Entrypoint sets the runtime's entrypoint.
func (p *Pipeline) Entrypoint(args ...string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Runtime.Entrypoint = slices.Clone(args); return nil })
}

// Cmd sets the runtime's default arguments.
func (p *Pipeline) Cmd(args ...string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Runtime.Cmd = slices.Clone(args); return nil })
}

// Env sets runtime environment variables.
func (p *Pipeline) Env(env map[string]string) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		if s.Runtime.Env == nil {
			s.Runtime.Env = map[string]string{}
		}
		maps.Copy(s.Runtime.Env, env)
		return nil
	})
}

// User sets the user the runtime runs as (default 65532:65532).
func (p *Pipeline) User(user string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Runtime.User = user; return nil })
}

// Ports exposes ports ("8080", "53/udp").
func (p *Pipeline) Ports(ports ...string) *Pipeline {
	return p.with(func(s *spec.Spec) error { s.Runtime.Ports = append(s.Runtime.Ports, ports...); return nil })
}

// Labels adds image labels.
func (p *Pipeline) Labels(labels map[string]string) *Pipeline {
	return p.with(func(s *spec.Spec) error {
		if s.Runtime.Labels == nil {
			s.Runtime.Labels = map[string]string{}
		}
		maps.Copy(s.Runtime.Labels, labels)
		return nil
	})
}
