package plan

import "path"

const npmCacheID = "distill-npm"

// nodePreset: deps (package.json and lock, npm ci with dev dependencies) →
// src → build (npm run <script> when present) → test (npm test when
// present); prod-deps (npm ci --omit=dev) on its own, so the runtime gets the
// built application with production dependencies only.
func (c *compiler) nodePreset() {
	n := c.spec.Build.Node
	b := c.spec.Build
	manifests := []string{"package.json", "package-lock.json", "npm-shrinkwrap.json"}
	cache := []CacheMount{{Target: "/root/.npm", ID: npmCacheID, Sharing: "locked"}}
	env := []KV{{"NPM_CONFIG_AUDIT", "false"}, {"NPM_CONFIG_FUND", "false"}, {"NPM_CONFIG_UPDATE_NOTIFIER", "false"}}

	deps := c.add(&Stage{
		Name: "deps", Role: RolePrepare, Base: c.builder(), Env: env,
		Ops: []Op{
			{Copy: &Copy{Src: ".", Dest: SrcDir + "/", Include: manifests}},
			{Exec: &Exec{Name: "npm ci", Args: []string{"npm", "ci"}, Caches: cache, Fetch: FetchNPM}},
		},
	})
	src := c.sourceStage(deps.Name, "node_modules")
	ops := []Op{{Exec: &Exec{Name: "npm run " + n.Script, Args: []string{"npm", "run", "--if-present", n.Script}, Network: "none"}}}
	ops = append(ops, userSteps(b.Steps)...)
	build := c.add(&Stage{Name: "build", Role: RoleBuild, From: src.Name, Ops: ops})
	c.testStage(build.Name, []Op{{Exec: &Exec{Name: "npm test", Args: []string{"npm", "run", "--if-present", "test"}, Network: "none"}}})

	prod := c.add(&Stage{
		Name: "prod-deps", Role: RoleBuild, Base: c.builder(), Env: env,
		Ops: []Op{
			{Copy: &Copy{Src: ".", Dest: SrcDir + "/", Include: manifests}},
			{Exec: &Exec{Name: "npm ci --omit=dev", Args: []string{"npm", "ci", "--omit=dev"}, Caches: cache, Fetch: FetchNPM}},
		},
	})

	c.graph.Runtime.Base = runtimeBase(c.spec.Runtime.Base)
	c.graph.Runtime.Artifacts = append(c.graph.Runtime.Artifacts,
		Artifact{Stage: build.Name, Src: SrcDir, Dest: AppDir, Exclude: []string{"node_modules"}},
		Artifact{Stage: prod.Name, Src: SrcDir + "/node_modules", Dest: AppDir + "/node_modules"},
	)
	c.userArtifacts(build.Name)
	cfg := &c.graph.Runtime.Config
	cfg.Entrypoint = []string{"/usr/bin/node", path.Join(AppDir, n.Main)}
	cfg.Workdir = AppDir
	cfg.Env = []KV{{"NODE_ENV", "production"}}
}
