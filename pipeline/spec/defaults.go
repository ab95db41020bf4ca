package spec

import (
	"maps"
	"slices"
)

// Defaults for fields a Spec may leave empty.
const (
	DefaultPlatform  = "linux/amd64"
	DefaultGoVersion = "1.26"
	DefaultLDFlags   = "-s -w"
	DefaultUser      = "65532:65532"
)

// WithDefaults returns a deep copy of s with every defaulted field filled in,
// as the rest of distill sees it. It does not validate.
func (s *Spec) WithDefaults() *Spec {
	c := s.Clone()
	if c.APIVersion == "" {
		c.APIVersion = APIVersion
	}
	if c.Source.Git == nil && c.Source.Path == "" {
		c.Source.Path = "."
	}
	if len(c.Platforms) == 0 {
		c.Platforms = []string{DefaultPlatform}
	}
	b := &c.Build
	switch {
	case b.Go != nil:
		if b.Go.Version == "" {
			b.Go.Version = DefaultGoVersion
		}
		if b.Go.Main == "" {
			b.Go.Main = "."
		}
		if b.Go.Binary == "" {
			b.Go.Binary = c.Name
		}
		if b.Go.LDFlags == nil {
			f := DefaultLDFlags
			b.Go.LDFlags = &f
		}
		if b.Image == "" {
			b.Image = "go"
		}
		if c.Runtime.Base == "" {
			c.Runtime.Base = "static"
			if b.Go.CGO {
				c.Runtime.Base = "cc"
			}
		}
	case b.Node != nil:
		if b.Node.Main == "" {
			b.Node.Main = "index.js"
		}
		if b.Node.Script == "" {
			b.Node.Script = "build"
		}
		if b.Image == "" {
			b.Image = "node"
		}
		if c.Runtime.Base == "" {
			c.Runtime.Base = "nodejs"
		}
	case b.Python != nil:
		if b.Python.Main == "" {
			b.Python.Main = "main.py"
		}
		if b.Python.Requirements == "" {
			b.Python.Requirements = "requirements.txt"
		}
		if b.Image == "" {
			b.Image = "python"
		}
		if c.Runtime.Base == "" {
			c.Runtime.Base = "python3"
		}
	}
	if c.Runtime.Base == "" {
		c.Runtime.Base = "static"
	}
	if c.Runtime.User == "" {
		c.Runtime.User = DefaultUser
	}
	if c.Test != nil && c.Test.Go != nil && len(c.Test.Go.Packages) == 0 {
		c.Test.Go.Packages = []string{"./..."}
	}
	return c
}

// Clone returns a deep copy of s.
func (s *Spec) Clone() *Spec {
	c := *s
	c.Platforms = slices.Clone(s.Platforms)
	c.Args = maps.Clone(s.Args)
	c.Source.Exclude = slices.Clone(s.Source.Exclude)
	if s.Source.Git != nil {
		g := *s.Source.Git
		c.Source.Git = &g
	}
	c.Build = s.Build.clone()
	if s.Test != nil {
		t := *s.Test
		t.Steps = cloneSteps(s.Test.Steps)
		t.Env = maps.Clone(s.Test.Env)
		if s.Test.Go != nil {
			g := *s.Test.Go
			g.Packages, g.Flags = slices.Clone(g.Packages), slices.Clone(g.Flags)
			t.Go = &g
		}
		c.Test = &t
	}
	if s.Scan != nil {
		sc := *s.Scan
		sc.Stages = slices.Clone(s.Scan.Stages)
		c.Scan = &sc
	}
	if s.Policy != nil {
		p := *s.Policy
		p.Ignore = slices.Clone(s.Policy.Ignore)
		p.VEX = slices.Clone(s.Policy.VEX)
		p.Stages = maps.Clone(s.Policy.Stages)
		c.Policy = &p
	}
	r := s.Runtime
	r.Entrypoint, r.Cmd, r.Ports = slices.Clone(r.Entrypoint), slices.Clone(r.Cmd), slices.Clone(r.Ports)
	r.Env, r.Labels = maps.Clone(r.Env), maps.Clone(r.Labels)
	c.Runtime = r
	return &c
}

func (b Build) clone() Build {
	c := b
	if b.Go != nil {
		g := *b.Go
		g.Tags = slices.Clone(g.Tags)
		if b.Go.LDFlags != nil {
			f := *b.Go.LDFlags
			g.LDFlags = &f
		}
		c.Go = &g
	}
	if b.Node != nil {
		n := *b.Node
		c.Node = &n
	}
	if b.Python != nil {
		p := *b.Python
		c.Python = &p
	}
	c.Env = maps.Clone(b.Env)
	c.Steps = cloneSteps(b.Steps)
	c.Artifacts = slices.Clone(b.Artifacts)
	return c
}

func cloneSteps(steps []Step) []Step {
	if steps == nil {
		return nil
	}
	out := make([]Step, len(steps))
	for i, st := range steps {
		st.Command = slices.Clone(st.Command)
		st.Env = maps.Clone(st.Env)
		st.Caches = slices.Clone(st.Caches)
		st.Secrets = slices.Clone(st.Secrets)
		st.SSH = slices.Clone(st.SSH)
		out[i] = st
	}
	return out
}

// Overrides are what a run may change of a Spec: the platforms, more stages
// to scan, or no scanning at all.
type Overrides struct {
	Platforms  []string
	ScanStages []string
	NoScan     bool
}

// With returns a copy of s with o applied; s is not changed.
func (s *Spec) With(o Overrides) *Spec {
	s = s.Clone()
	if len(o.Platforms) > 0 {
		s.Platforms = slices.Clone(o.Platforms)
	}
	if o.NoScan || len(o.ScanStages) > 0 {
		if s.Scan == nil {
			s.Scan = &Scan{}
		}
		s.Scan.Skip = s.Scan.Skip || o.NoScan
		for _, st := range o.ScanStages {
			if !slices.Contains(s.Scan.Stages, st) {
				s.Scan.Stages = append(s.Scan.Stages, st)
			}
		}
	}
	return s
}
