package plan

import (
	"path"
	"strings"
)

const pipCacheID = "distill-pip"

// pythonPreset: deps (a virtual environment in /opt/venv with the
// requirements and without pip, pip cache mount) → src → build (user steps) → test (pytest
// when installed, else unittest discovery). The runtime gets the environment
// at the same path, so its interpreter link points at the runtime's python3.
func (c *compiler) pythonPreset() {
	p := c.spec.Build.Python
	b := c.spec.Build
	req := p.Requirements
	// The environment gets no pip (nor the setuptools ensurepip brings): the
	// builder's pip installs into it, so the runtime ships the requirements
	// and no package manager.
	install := "python3 -m venv --without-pip " + VenvDir +
		" && if [ -f " + shellQuote(req) + " ]; then python3 -m pip --python " + VenvDir + "/bin/python install --disable-pip-version-check -r " + shellQuote(req) + "; fi"
	deps := c.add(&Stage{
		Name: "deps", Role: RolePrepare, Base: c.builder(),
		Env: []KV{{"PIP_NO_INPUT", "1"}},
		Ops: []Op{
			{Copy: &Copy{Src: ".", Dest: SrcDir + "/", Include: []string{req}}},
			{Exec: &Exec{Name: "pip install -r " + req, Args: []string{"sh", "-c", install},
				Caches: []CacheMount{{Target: "/root/.cache/pip", ID: pipCacheID, Sharing: "locked"}}, Fetch: FetchPip}},
		},
	})
	src := c.sourceStage(deps.Name, ".venv", "__pycache__")
	build := c.add(&Stage{Name: "build", Role: RoleBuild, From: src.Name, Ops: userSteps(b.Steps)})
	test := VenvDir + "/bin/python -c 'import pytest' 2>/dev/null && exec " + VenvDir + "/bin/python -m pytest -q || exec " + VenvDir + "/bin/python -m unittest discover -v"
	c.testStage(build.Name, []Op{{Exec: &Exec{Name: "python tests", Args: []string{"sh", "-c", test}, Network: "none"}}})

	c.graph.Runtime.Base = runtimeBase(c.spec.Runtime.Base)
	c.graph.Runtime.Artifacts = append(c.graph.Runtime.Artifacts,
		Artifact{Stage: deps.Name, Src: VenvDir, Dest: VenvDir},
		Artifact{Stage: build.Name, Src: SrcDir, Dest: AppDir, Exclude: []string{".venv", "__pycache__", "tests"}},
	)
	c.userArtifacts(build.Name)
	cfg := &c.graph.Runtime.Config
	py := VenvDir + "/bin/python3"
	if mod, ok := strings.CutPrefix(p.Main, "-m "); ok {
		cfg.Entrypoint = []string{py, "-m", strings.TrimSpace(mod)}
	} else {
		cfg.Entrypoint = []string{py, path.Join(AppDir, p.Main)}
	}
	cfg.Workdir = AppDir
	cfg.Env = []KV{{"PATH", VenvDir + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, {"PYTHONUNBUFFERED", "1"}}
}
