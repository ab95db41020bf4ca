package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/distill-dev/distill/internal/engine"
	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/runner"
	"github.com/distill-dev/distill/pipeline/spec"
)

// Result is what a build produced: the digest outputs name, each platform's
// image, where the OCI layout is, and per-stage timings.
type Result = runner.Result

// Option configures a Build.
type Option func(*runner.Options) error

// Dir is the directory the pipeline's source path is relative to (default ".").
func Dir(dir string) Option {
	return func(o *runner.Options) error { o.Dir = dir; return nil }
}

// Output adds a destination: "oci:DIR", "tar:FILE", "docker:FILE" or "image:REF".
func Output(dest string) Option {
	return func(o *runner.Options) error {
		out, err := ocistore.ParseOutput(dest)
		if err != nil {
			return err
		}
		o.Outputs = append(o.Outputs, out)
		return nil
	}
}

// Push pushes the result to a registry reference (an "image:" output).
func Push(ref string) Option { return Output("image:" + ref) }

// Target stops the build after "build" or "test"; "runtime" is the default.
func Target(target string) Option {
	return func(o *runner.Options) error {
		t, err := plan.ParseTarget(target)
		o.Target = t
		return err
	}
}

// BuildPlatforms overrides the pipeline's platforms for this build.
func BuildPlatforms(platforms ...string) Option {
	return func(o *runner.Options) error { o.Platforms = platforms; return nil }
}

// BuildArg overrides a build argument.
func BuildArg(name, value string) Option {
	return func(o *runner.Options) error {
		if o.Args == nil {
			o.Args = map[string]string{}
		}
		o.Args[name] = value
		return nil
	}
}

// SourceDateEpoch sets every timestamp of the outputs (default: the last
// commit's time in a Git work tree, else 0).
func SourceDateEpoch(t time.Time) Option {
	return func(o *runner.Options) error { o.Epoch = &t; return nil }
}

// SecretFile offers the content of file to steps as BuildKit secret id.
func SecretFile(id, file string) Option {
	return func(o *runner.Options) error {
		o.Secrets = append(o.Secrets, runner.Secret{ID: id, File: file})
		return nil
	}
}

// SecretEnv offers the environment variable name to steps as BuildKit secret id.
func SecretEnv(id, name string) Option {
	return func(o *runner.Options) error {
		o.Secrets = append(o.Secrets, runner.Secret{ID: id, Env: name})
		return nil
	}
}

// SSHAgent forwards an SSH agent: "default" ($SSH_AUTH_SOCK) or "id=socket".
func SSHAgent(spec string) Option {
	return func(o *runner.Options) error { o.SSH = append(o.SSH, spec); return nil }
}

// CABundle is the CA bundle dependency downloads trust (default: $SSL_CERT_FILE).
func CABundle(file string) Option {
	return func(o *runner.Options) error { o.CABundle = file; return nil }
}

// BuildKit connects to a BuildKit address instead of BUILDKIT_HOST or a
// local buildkitd.
func BuildKit(addr string) Option {
	return func(o *runner.Options) error { o.Engine = append(o.Engine, engine.WithAddr(addr)); return nil }
}

// KeepEngine leaves a local buildkitd started by this build running.
func KeepEngine() Option {
	return func(o *runner.Options) error { o.Engine = append(o.Engine, engine.WithKeep(true)); return nil }
}

// Progress shows BuildKit's progress on w: auto, tty, plain, rawjson or quiet.
func Progress(mode string, w io.Writer) Option {
	return func(o *runner.Options) error {
		m, err := engine.ParseProgressMode(mode)
		if err != nil {
			return err
		}
		o.Engine = append(o.Engine, engine.WithProgress(m, w), engine.WithLog(w))
		return nil
	}
}

// Lockfile records resolved base image packages in file; with locked,
// builds exactly what it pins.
func Lockfile(file string, locked bool) Option {
	return func(o *runner.Options) error { o.Bases.LockPath, o.Bases.Locked = file, locked; return nil }
}

// DebianMirror overrides the Debian archive (and security archive) the base
// images come from.
func DebianMirror(mirror, security string) Option {
	return func(o *runner.Options) error {
		o.Bases.DebianMirror, o.Bases.DebianSecurityMirror = mirror, security
		return nil
	}
}

// CacheDir sets distill's cache directory (default $DISTILL_CACHE or the user cache dir).
func CacheDir(dir string) Option {
	return func(o *runner.Options) error { o.Bases.CacheDir = dir; return nil }
}

// Layout sets the OCI layout directory the result is exported into.
func Layout(dir string) Option {
	return func(o *runner.Options) error { o.Layout = dir; return nil }
}

// Logf receives distill's own progress lines.
func Logf(f func(format string, args ...any)) Option {
	return func(o *runner.Options) error { o.Logf = f; return nil }
}

// Build runs the pipeline: base images, build, tests (a failing test fails
// the build before anything is exported), runtime, outputs.
func (p *Pipeline) Build(ctx context.Context, opts ...Option) (*Result, error) {
	s, err := p.Spec()
	if err != nil {
		return nil, err
	}
	return BuildSpec(ctx, s, opts...)
}

// BuildSpec runs a Spec (from distill.yaml, say).
func BuildSpec(ctx context.Context, s *spec.Spec, opts ...Option) (*Result, error) {
	o := runner.Options{Dir: "."}
	var errs []error
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("build options: %w", errors.Join(errs...))
	}
	return runner.Run(ctx, s, o)
}

// ReportDir writes each scan's vulnerability report (JSON, SARIF), SBOMs
// (CycloneDX, SPDX) and summary.md into dir, also when a gate fails.
func ReportDir(dir string) Option {
	return func(o *runner.Options) error { o.ReportDir = dir; return nil }
}

// VulnDB sets the vulnerability database directory (default: distill's cache;
// see distill db).
func VulnDB(dir string) Option {
	return func(o *runner.Options) error { o.VulnDB = dir; return nil }
}

// FailOn overrides the policy's threshold: LOW, MEDIUM, HIGH, CRITICAL or NONE.
func FailOn(severity string) Option {
	return func(o *runner.Options) error { o.FailOn = severity; return nil }
}

// VEX adds an OpenVEX document to the policy.
func VEX(file string) Option {
	return func(o *runner.Options) error { o.VEX = append(o.VEX, file); return nil }
}

// ScanStage scans another stage ("build") besides the runtime.
func ScanStage(stage string) Option {
	return func(o *runner.Options) error { o.ScanStages = append(o.ScanStages, stage); return nil }
}

// NoScan turns scanning off for this build.
func NoScan() Option {
	return func(o *runner.Options) error { o.NoScan = true; return nil }
}

// RegistryMirror pulls images of registry (docker.io, gcr.io, …) from mirror
// first, for image-reference bases. It configures the local buildkitd
// distill starts; a BuildKit at BUILDKIT_HOST keeps its own configuration.
func RegistryMirror(registry, mirror string) Option {
	return func(o *runner.Options) error {
		if o.Mirrors == nil {
			o.Mirrors = map[string][]string{}
		}
		o.Mirrors[registry] = append(o.Mirrors[registry], mirror)
		return nil
	}
}

// LocalEngine starts (or reuses) a local buildkitd with its state in dir,
// even when BUILDKIT_HOST is set.
func LocalEngine(stateDir string) Option {
	return func(o *runner.Options) error {
		o.Engine = append(o.Engine, engine.WithAddr(""), engine.WithStateDir(stateDir))
		return nil
	}
}
