package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Graph is a compiled pipeline.
type Graph struct {
	Name      string
	Source    Source
	Platforms []Platform // runtime targets, in Spec order, deduplicated
	Args      []KV       // build arguments, sorted; overridable at run time
	// Stages run on the build platform (or once per target platform when
	// PerPlatform), in dependency order.
	Stages  []*Stage
	Runtime Runtime
	// Scans are the scan stages: the runtime (each platform) unless scanning
	// is off, and the stages the Spec asks for.
	Scans  []Scan
	Policy Policy
}

// RuntimeStage names the runtime image in scans and policies.
const RuntimeStage = "runtime"

// Scan is one scanned stage.
type Scan struct {
	Stage string // RuntimeStage or a stage name
	Gate  bool   // a failing policy fails the build; else report only
}

// Policy is the vulnerability gate, with defaults applied.
type Policy struct {
	FailOn, UnknownAs string // severities; FailOn "NONE" never fails
	FixedOnly         bool
	Ignore            []Ignore
	VEX               []string // paths relative to the Spec's directory
}

// Ignore accepts a finding until Expires (YYYY-MM-DD, empty for no expiry).
type Ignore struct{ ID, Package, Reason, Expires string }

// Platform is an OCI platform.
type Platform struct{ OS, Arch, Variant string }

func (p Platform) String() string {
	s := p.OS + "/" + p.Arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ParsePlatform parses "linux/amd64", "linux/arm64" ("linux/arm64/v8" is the same).
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Platform{}, fmt.Errorf("platform %q: want os/arch", s)
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 && !(p.Arch == "arm64" && parts[2] == "v8") {
		p.Variant = parts[2]
	}
	return p, nil
}

// Source is where the project comes from: exactly one of Local and Git.
type Source struct {
	Local *LocalSource
	Git   *GitSource
}

// LocalSource is a directory of the client, sent to the engine as the
// build context named ContextName.
type LocalSource struct {
	Path    string   // relative to the Spec's directory
	Exclude []string // sorted
}

// GitSource is a remote repository.
type GitSource struct{ URL, Ref string }

// ContextName is the name of the local build context.
const ContextName = "context"

// BaseRef names a base image: a distill flavour or an image reference.
type BaseRef struct {
	Flavour   string // "go", "static:debug"; empty for an image reference
	GoVersion string // for flavours with a Go toolchain ("1.26")
	Image     string // an image reference, when Flavour is empty
}

func (b BaseRef) String() string {
	if b.Flavour == "" {
		return b.Image
	}
	if b.GoVersion != "" {
		return "distill/" + b.Flavour + " (go " + b.GoVersion + ")"
	}
	return "distill/" + b.Flavour
}

// Role says what a stage is for.
type Role string

const (
	RolePrepare Role = "prepare" // dependencies and sources, feeding other stages
	RoleBuild   Role = "build"   // produces runtime artifacts
	RoleTest    Role = "test"    // must succeed; never feeds the runtime
)

// Stage is one container's filesystem, built by ops on a base or on another stage.
type Stage struct {
	Name string
	Role Role
	// From is the stage this one continues; empty to start from Base.
	From string
	Base BaseRef
	// PerPlatform stages are built once per target platform (cross-compiling
	// builds); the others once, on the build platform.
	PerPlatform bool
	Workdir     string
	Env         []KV // sorted; applied to every exec of the stage
	Ops         []Op
}

// Op is one step of a stage: exactly one of Copy and Exec.
type Op struct {
	Copy *Copy
	Exec *Exec
}

// Copy copies files into the stage.
type Copy struct {
	// FromStage names the stage to copy from; empty for the project source.
	FromStage string
	Src, Dest string
	// Include and Exclude filter what is copied (patterns relative to Src).
	Include, Exclude []string
}

// Fetch says an exec downloads dependencies and gets the client's network
// settings for that ecosystem (CA bundle, proxy and registry) as secrets.
type Fetch string

const (
	FetchNone Fetch = ""
	FetchGo   Fetch = "go"
	FetchNPM  Fetch = "npm"
	FetchPip  Fetch = "pip"
)

// Exec runs a command.
type Exec struct {
	Name    string   // shown in progress output
	Args    []string // argv; shell commands are ["sh", "-c", …]
	Env     []KV     // sorted; may use ${TARGETOS}, ${TARGETARCH}, ${TARGETVARIANT}, ${TARGETPLATFORM}
	Workdir string
	Caches  []CacheMount
	Secrets []SecretMount
	SSH     []SSHMount
	Network string // "" (default) or "none"
	Fetch   Fetch
}

// CacheMount is a persistent cache directory.
type CacheMount struct {
	Target, ID string
	Sharing    string // shared, private, locked
}

// SecretMount exposes a secret as a file (Target) or environment variable (Env).
type SecretMount struct {
	ID, Target, Env string
	Required        bool
}

// SSHMount forwards an SSH agent.
type SSHMount struct {
	ID, Target string
	Required   bool
}

// KV is an environment variable or label.
type KV struct{ Key, Value string }

// Runtime is the image that ships.
type Runtime struct {
	Base      BaseRef
	Artifacts []Artifact
	Config    ImageConfig
}

// Artifact is copied from a build stage (of the same platform, for
// per-platform stages) into the runtime.
type Artifact struct {
	Stage     string
	Src, Dest string
	Exclude   []string
}

// ImageConfig overrides the base image's config; empty fields keep the base's.
type ImageConfig struct {
	Entrypoint, Cmd []string
	Env             []KV // appended to the base's, sorted
	Workdir, User   string
	Ports           []string // "8080/tcp", sorted
	Labels          []KV     // sorted
}

// Stage returns the stage with the given name.
func (g *Graph) Stage(name string) (*Stage, bool) {
	for _, s := range g.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// StagesWith returns the stages of a role, in order.
func (g *Graph) StagesWith(role Role) []*Stage {
	var out []*Stage
	for _, s := range g.Stages {
		if s.Role == role {
			out = append(out, s)
		}
	}
	return out
}

// BaseUse is a base image on one platform.
type BaseUse struct {
	Ref      BaseRef
	Platform Platform
}

// Bases lists every base the graph uses, once, in stage order: stage bases
// on the build platform, the runtime base on each target platform.
func (g *Graph) Bases(build Platform) []BaseUse {
	var out []BaseUse
	for _, st := range g.Stages {
		if st.From == "" {
			out = append(out, BaseUse{st.Base, build})
		}
	}
	for _, p := range g.Platforms {
		out = append(out, BaseUse{g.Runtime.Base, p})
	}
	seen := map[BaseUse]bool{}
	return slices.DeleteFunc(out, func(u BaseUse) bool {
		dup := seen[u]
		seen[u] = true
		return dup
	})
}

// LabelDescription is the base image's description label, which the runtime
// drops: it describes the base, not the image built on it.
const LabelDescription = "org.opencontainers.image.description"

// RuntimeLabels are the OCI labels of the runtime image, on every backend:
// the Spec's, then title, creation time (the epoch), base and, when known,
// the source and revision.
func (g *Graph) RuntimeLabels(epoch time.Time, source, revision string) map[string]string {
	labels := map[string]string{}
	for _, kv := range g.Runtime.Config.Labels {
		labels[kv.Key] = kv.Value
	}
	labels["org.opencontainers.image.title"] = g.Name
	labels["org.opencontainers.image.created"] = epoch.UTC().Format(time.RFC3339)
	labels["org.opencontainers.image.base.name"] = g.Runtime.Base.String()
	if source != "" {
		labels["org.opencontainers.image.source"] = source
	}
	if revision != "" {
		labels["org.opencontainers.image.revision"] = revision
	}
	return labels
}

// PlatformVars are the Dockerfile-style platform variables an exec's
// environment may use.
func PlatformVars(target, build Platform) map[string]string {
	return map[string]string{
		"TARGETPLATFORM": target.String(),
		"TARGETOS":       target.OS,
		"TARGETARCH":     target.Arch,
		"TARGETVARIANT":  target.Variant,
		"BUILDPLATFORM":  build.String(),
		"BUILDOS":        build.OS,
		"BUILDARCH":      build.Arch,
	}
}

// Expand replaces ${NAME} of the platform variables; other text is kept.
func Expand(v string, vars map[string]string) string {
	for k, val := range vars {
		v = strings.ReplaceAll(v, "${"+k+"}", val)
	}
	return v
}

// PlatformsOf lists the platforms a stage is built for: every target
// platform for per-platform stages (cross-compiling builds), else the build
// platform only.
func (g *Graph) PlatformsOf(st *Stage, build Platform) []Platform {
	if st.PerPlatform {
		return g.Platforms
	}
	return []Platform{build}
}

// StagePlatform is the platform whose build of st serves target p: p itself
// for per-platform stages, else the build platform.
func StagePlatform(st *Stage, p, build Platform) Platform {
	if st.PerPlatform {
		return p
	}
	return build
}
