package pipeline

import (
	"maps"
	"slices"

	"github.com/distill-dev/distill/pipeline/spec"
)

// Step is a build or test command. Build it with Run or Command and refine
// it with its methods; each returns a new Step.
type Step struct{ s spec.Step }

// Run is a shell command.
func Run(command string) Step { return Step{spec.Step{Run: command}} }

// Command is an argument vector, run without a shell.
func Command(args ...string) Step { return Step{spec.Step{Command: slices.Clone(args)}} }

func (s Step) clone() Step {
	c := s.s
	c.Command = slices.Clone(c.Command)
	c.Env = maps.Clone(c.Env)
	c.Caches = slices.Clone(c.Caches)
	c.Secrets = slices.Clone(c.Secrets)
	c.SSH = slices.Clone(c.SSH)
	return Step{c}
}

// Named sets the name shown in progress output.
func (s Step) Named(name string) Step { c := s.clone(); c.s.Name = name; return c }

// Env sets an environment variable.
func (s Step) Env(name, value string) Step {
	c := s.clone()
	if c.s.Env == nil {
		c.s.Env = map[string]string{}
	}
	c.s.Env[name] = value
	return c
}

// Workdir sets the working directory (default /src).
func (s Step) Workdir(dir string) Step { c := s.clone(); c.s.Workdir = dir; return c }

// Cache mounts a cache directory kept between builds.
func (s Step) Cache(target, id string) Step {
	c := s.clone()
	c.s.Caches = append(c.s.Caches, spec.Cache{Target: target, ID: id})
	return c
}

// Secret mounts the BuildKit secret id at /run/secrets/<id>.
func (s Step) Secret(id string) Step {
	c := s.clone()
	c.s.Secrets = append(c.s.Secrets, spec.Secret{ID: id, Required: true})
	return c
}

// SecretEnv exposes the BuildKit secret id as environment variable name.
func (s Step) SecretEnv(id, name string) Step {
	c := s.clone()
	c.s.Secrets = append(c.s.Secrets, spec.Secret{ID: id, Env: name, Required: true})
	return c
}

// SSH forwards the SSH agent id ("default").
func (s Step) SSH(id string) Step {
	c := s.clone()
	c.s.SSH = append(c.s.SSH, spec.SSH{ID: id, Required: true})
	return c
}

// NoNetwork runs the step without network access.
func (s Step) NoNetwork() Step { c := s.clone(); c.s.Network = "none"; return c }

func (s Step) step() spec.Step { return s.clone().s }
