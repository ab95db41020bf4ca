package spec

// APIVersion is the only Spec version this distill reads.
const APIVersion = "distill.dev/v1"

// Spec describes one image: where its sources are, how it is built and tested
// (each stage its own container) and what the distroless runtime ships.
type Spec struct {
	// APIVersion must be "distill.dev/v1".
	APIVersion string `json:"apiVersion" jsonschema:"enum=distill.dev/v1"`
	// Name of the image, used in references, labels and outputs.
	Name string `json:"name" jsonschema:"pattern=^[a-z0-9]+([._-][a-z0-9]+)*$"`
	// Source is where the project comes from (default: the directory of distill.yaml).
	Source Source `json:"source,omitempty"`
	// Platforms to build the runtime for (default: linux/amd64). Go builds
	// cross-compile; build and test stages run on the build machine's platform.
	Platforms []string `json:"platforms,omitempty" jsonschema:"uniqueItems=true"`
	// Args are build arguments: environment of every build and test step,
	// overridable with --build-arg NAME=VALUE.
	Args map[string]string `json:"args,omitempty"`
	// Build is the build stage.
	Build Build `json:"build"`
	// Test is the test stage; it runs in its own container on the build's
	// sources and can never change the runtime.
	Test *Test `json:"test,omitempty"`
	// Runtime is the image that ships.
	Runtime Runtime `json:"runtime,omitempty"`
	// Scan configures the scan stages: the runtime is always scanned (each
	// platform), other stages on request.
	Scan *Scan `json:"scan,omitempty"`
	// Policy is the vulnerability gate the scans are held to.
	Policy *Policy `json:"policy,omitempty"`
}

// Scan configures the scan stages. Each scan runs trivy in its own container
// over the stage's root filesystem (mounted read-only) and produces a
// vulnerability report and SBOMs (CycloneDX and SPDX).
type Scan struct {
	// Skip turns scanning off; nothing is checked or attested then.
	Skip bool `json:"skip,omitempty"`
	// Stages are scanned besides the runtime: "build" (what the build stage
	// holds: toolchains, tools, dependencies) or any stage name.
	Stages []string `json:"stages,omitempty"`
}

// Policy is the vulnerability gate. By default the runtime is gated (a
// finding at or above failOn fails the build before anything is exported)
// and other scanned stages are only reported.
type Policy struct {
	// FailOn is the severity threshold: LOW, MEDIUM, HIGH (default) or CRITICAL;
	// NONE never fails.
	FailOn string `json:"failOn,omitempty" jsonschema:"enum=LOW,enum=MEDIUM,enum=HIGH,enum=CRITICAL,enum=NONE"`
	// UnknownAs is how advisories without a severity count (default HIGH).
	// The Go vulnerability database gives none, so this decides Go findings.
	UnknownAs string `json:"unknownAs,omitempty" jsonschema:"enum=LOW,enum=MEDIUM,enum=HIGH,enum=CRITICAL"`
	// FixedOnly counts only findings that have a fixed version.
	FixedOnly bool `json:"fixedOnly,omitempty"`
	// Ignore lists accepted findings, each with a reason and an optional expiry.
	Ignore []Ignore `json:"ignore,omitempty"`
	// VEX are OpenVEX documents (paths relative to distill.yaml); their
	// not_affected statements suppress findings.
	VEX []string `json:"vex,omitempty"`
	// Stages sets per stage "gate" (fail the build) or "report" (only
	// report); default: runtime gate, the others report.
	Stages map[string]string `json:"stages,omitempty"`
}

// Ignore accepts a finding.
type Ignore struct {
	// ID is the vulnerability (CVE-…, GO-…, GHSA-…).
	ID string `json:"id"`
	// Package narrows the ignore to one package.
	Package string `json:"package,omitempty"`
	// Reason is required: why the finding is accepted.
	Reason string `json:"reason"`
	// Expires is the last day (YYYY-MM-DD) the ignore applies; afterwards the
	// finding counts again.
	Expires string `json:"expires,omitempty" jsonschema:"format=date"`
}

// Source is a local directory or a Git repository: exactly one of Path and Git.
type Source struct {
	// Path is a local directory, relative to the Spec's directory (default ".").
	Path string `json:"path,omitempty"`
	// Git is a remote repository.
	Git *GitSource `json:"git,omitempty"`
	// Exclude lists patterns (.dockerignore syntax) left out of the build
	// context, in addition to .git and the patterns of a .dockerignore file.
	Exclude []string `json:"exclude,omitempty"`
}

// GitSource is a Git repository at a ref.
type GitSource struct {
	URL string `json:"url"`
	// Ref is a branch, tag or commit (default: the default branch).
	Ref string `json:"ref,omitempty"`
}

// Build is the build stage: a preset (go, node or python) with optional
// extra steps, or a custom builder image with steps and artifacts.
type Build struct {
	Go     *GoBuild     `json:"go,omitempty"`
	Node   *NodeBuild   `json:"node,omitempty"`
	Python *PythonBuild `json:"python,omitempty"`
	// Image is the builder: a distill builder flavour ("debian", "go", "node",
	// "python") or an image reference ("golang:1.26"). Presets choose their own.
	Image string `json:"image,omitempty"`
	// Env is the environment of every build-side container, from the
	// dependency download on (GOTOOLCHAIN, GOFLAGS, NPM_CONFIG_…), tests included.
	Env map[string]string `json:"env,omitempty"`
	// Steps run after the preset's steps (or alone, without a preset), in
	// the project directory /src.
	Steps []Step `json:"steps,omitempty"`
	// Artifacts are copied from the build stage into the runtime, after the
	// preset's own (the Go binary, node_modules, the Python environment).
	Artifacts []Artifact `json:"artifacts,omitempty"`
}

// GoBuild builds a Go program into a static binary (CGO off by default) with
// -trimpath, the module download as its own cached step and a build cache.
type GoBuild struct {
	// Version of Go: "1.26" is the newest 1.26 patch release (default "1.26").
	Version string `json:"version,omitempty"`
	// Main is the package to build (default ".").
	Main string `json:"main,omitempty"`
	// Binary is the executable's name (default: the Spec name).
	Binary string `json:"binary,omitempty"`
	// CGO enables cgo; the runtime then needs libc (default runtime "cc").
	CGO bool `json:"cgo,omitempty"`
	// Tags are build tags.
	Tags []string `json:"tags,omitempty"`
	// LDFlags are linker flags (default "-s -w").
	LDFlags *string `json:"ldflags,omitempty"`
}

// NodeBuild installs dependencies with npm ci (cache mount), runs the build
// script if there is one and ships production dependencies only.
type NodeBuild struct {
	// Main is the file the runtime runs with node (default "index.js").
	Main string `json:"main,omitempty"`
	// Script is the npm script that builds (default "build", skipped when absent).
	Script string `json:"script,omitempty"`
}

// PythonBuild installs requirements into a virtual environment (pip cache
// mount) and ships it with the sources.
type PythonBuild struct {
	// Main is the script the runtime runs, or "-m module" (default "main.py").
	Main string `json:"main,omitempty"`
	// Requirements is the requirements file (default "requirements.txt", skipped when absent).
	Requirements string `json:"requirements,omitempty"`
}

// Step is one command in a build or test container. Exactly one of Run (a
// shell command) and Command (an argument vector) is set.
type Step struct {
	// Name is shown in progress output (default: the command).
	Name string `json:"name,omitempty"`
	// Run is a shell command (sh -c).
	Run string `json:"run,omitempty"`
	// Command is an argument vector, run without a shell.
	Command []string `json:"command,omitempty"`
	// Env is added for this step.
	Env map[string]string `json:"env,omitempty"`
	// Workdir is the working directory (default /src).
	Workdir string `json:"workdir,omitempty"`
	// Caches are cache mounts kept between builds.
	Caches []Cache `json:"caches,omitempty"`
	// Secrets are BuildKit secrets (distill build --secret id=…), mounted as
	// files or exposed as environment variables, never stored in a layer.
	Secrets []Secret `json:"secrets,omitempty"`
	// SSH forwards SSH agent sockets (distill build --ssh id=…).
	SSH []SSH `json:"ssh,omitempty"`
	// Network is "default" (the build network) or "none".
	Network string `json:"network,omitempty" jsonschema:"enum=default,enum=none"`
}

// Cache is a cache mount.
type Cache struct {
	// Target is the mount point.
	Target string `json:"target"`
	// ID shares a cache between steps (default: Target).
	ID string `json:"id,omitempty"`
	// Sharing is "shared" (default), "private" or "locked".
	Sharing string `json:"sharing,omitempty" jsonschema:"enum=shared,enum=private,enum=locked"`
}

// Secret is a BuildKit secret: a file (Target, default /run/secrets/<id>) or,
// with Env, an environment variable.
type Secret struct {
	ID       string `json:"id"`
	Target   string `json:"target,omitempty"`
	Env      string `json:"env,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// SSH is a forwarded SSH agent.
type SSH struct {
	// ID of the agent (default "default").
	ID string `json:"id,omitempty"`
	// Target is the socket path (default /run/buildkit/ssh_agent.<n>).
	Target   string `json:"target,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// Artifact is copied from the build stage into the runtime.
type Artifact struct {
	// From is a path in the build stage.
	From string `json:"from"`
	// To is the path in the runtime (default: From).
	To string `json:"to,omitempty"`
}

// Test is the test stage: a preset's tests (go test, npm test, unittest)
// and/or steps, in a container of its own on the build's sources.
type Test struct {
	// Skip leaves the test stage out (a preset's tests run by default).
	Skip bool `json:"skip,omitempty"`
	// Go runs go test on packages (default "./...").
	Go *GoTest `json:"go,omitempty"`
	// Steps run after the preset's tests (or alone).
	Steps []Step `json:"steps,omitempty"`
	// Env is added to every test step.
	Env map[string]string `json:"env,omitempty"`
}

// GoTest configures go test.
type GoTest struct {
	// Packages to test (default ["./..."]).
	Packages []string `json:"packages,omitempty"`
	// Flags are extra go test flags ("-race" needs cgo).
	Flags []string `json:"flags,omitempty"`
}

// Runtime is the image that ships: a distroless base and the build's artifacts.
type Runtime struct {
	// Base is a runtime flavour ("static", "base", "cc", "python3", "nodejs",
	// with ":debug" for a busybox shell) or an image reference. Default: the
	// preset's (static for Go, cc for Go with cgo, nodejs, python3).
	Base string `json:"base,omitempty"`
	// Entrypoint (default: the preset's program).
	Entrypoint []string `json:"entrypoint,omitempty"`
	// Cmd are default arguments.
	Cmd []string `json:"cmd,omitempty"`
	// Env is added to the image's environment.
	Env map[string]string `json:"env,omitempty"`
	// Workdir is the working directory.
	Workdir string `json:"workdir,omitempty"`
	// User is the user the image runs as (default "65532:65532", nonroot).
	User string `json:"user,omitempty"`
	// Ports are exposed ports ("8080" or "8080/tcp").
	Ports []string `json:"ports,omitempty"`
	// Labels are image labels; distill adds the OCI ones (source, revision, created).
	Labels map[string]string `json:"labels,omitempty"`
}
