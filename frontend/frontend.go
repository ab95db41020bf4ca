package frontend

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/distill-dev/distill/internal/catalog"
)

// Options the frontend reads besides BuildKit's own (platform, target,
// build-arg:*, filename …). Each also exists as a build argument, so that
// docker buildx users can pass it with --build-arg.
const (
	// OptScan "off" turns scanning (and the policy gate) off.
	OptScan = "scan"
	// OptScanStages lists stages to scan besides the final one, comma
	// separated: reported, not gated, unless the policy gates them.
	OptScanStages = "scan-stages"
	// OptFailOn is the policy threshold: LOW … CRITICAL, or NONE.
	OptFailOn = "fail-on"
	// OptUnknownAs is how advisories without a severity count.
	OptUnknownAs = "unknown-as"
	// OptFixedOnly "true" fails only on findings that have a fix.
	OptFixedOnly = "fixed-only"
	// OptVEX lists OpenVEX documents in the build context, comma separated.
	OptVEX = "vex"
	// OptVulnDB and OptScanner replace the catalog's database and scanner
	// images (references, pinned by digest for reproducible reports).
	OptVulnDB  = "vulndb"
	OptScanner = "scanner"
)

// buildArgOf is the build argument that carries an option: fail-on →
// DISTILL_FAIL_ON.
func buildArgOf(opt string) string {
	return "build-arg:DISTILL_" + strings.ToUpper(strings.ReplaceAll(opt, "-", "_"))
}

// options are the frontend's options from a build request.
type options struct {
	scan       bool
	scanStages []string
	failOn     string
	unknownAs  string
	fixedOnly  bool
	vex        []string
	vulnDB     string
	scanner    string

	// epoch is SOURCE_DATE_EPOCH (build-arg), zero time when not set.
	epoch    time.Time
	epochSet bool
	// vcsSource and vcsRevision are what buildx sends about the Git checkout.
	vcsSource, vcsRevision string
}

func parseOptions(opts map[string]string) (options, error) {
	get := func(name string) string {
		if v, ok := opts[name]; ok {
			return v
		}
		return opts[buildArgOf(name)]
	}
	o := options{
		scan:      true,
		failOn:    strings.ToUpper(get(OptFailOn)),
		unknownAs: strings.ToUpper(get(OptUnknownAs)),
		vulnDB:    get(OptVulnDB),
		scanner:   get(OptScanner),
		epoch:     time.Unix(0, 0).UTC(),
		vcsSource: opts["vcs:source"], vcsRevision: opts["vcs:revision"],
	}
	switch v := strings.ToLower(get(OptScan)); v {
	case "", "on", "true", "1":
	case "off", "false", "0":
		o.scan = false
	default:
		return o, fmt.Errorf("--opt %s=%s: want on or off", OptScan, v)
	}
	if v := get(OptFixedOnly); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, fmt.Errorf("--opt %s=%s: want true or false", OptFixedOnly, v)
		}
		o.fixedOnly = b
	}
	o.scanStages = splitList(get(OptScanStages))
	o.vex = splitList(get(OptVEX))
	if v, ok := opts["build-arg:SOURCE_DATE_EPOCH"]; ok && v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return o, fmt.Errorf("build-arg SOURCE_DATE_EPOCH=%s: want Unix seconds", v)
		}
		o.epoch, o.epochSet = time.Unix(sec, 0).UTC(), true
	}
	return o, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// CatalogEnv overrides where the frontend reads its catalog (tests).
const CatalogEnv = "DISTILL_CATALOG"

func loadCatalog() (*catalog.Catalog, error) {
	p := catalog.Path
	if v := os.Getenv(CatalogEnv); v != "" {
		p = v
	}
	c, err := catalog.Load(p)
	if err != nil {
		return nil, fmt.Errorf("the frontend's image catalog: %w (is this image made by distill frontend publish?)", err)
	}
	return c, nil
}

// Build is the frontend: it reads the file the build names (-f, default
// Dockerfile) and builds it as a distill.yaml or as a Dockerfile.
func Build(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
	opts, err := parseOptions(c.BuildOpts().Opts)
	if err != nil {
		return nil, err
	}
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "Dockerfile")
	if err != nil {
		return nil, err
	}
	c = withCacheImports(c, bc.CacheImports)
	if IsSpec(src.Filename, src.Data) {
		return buildSpec(ctx, c, bc, src, cat, opts)
	}
	return buildDockerfile(ctx, c, src, cat, opts)
}

// IsSpec tells a distill.yaml from a Dockerfile: by its name (.yaml, .yml,
// .json) or, for any name, by an apiVersion line before any Dockerfile
// instruction.
func IsSpec(filename string, data []byte) bool {
	switch strings.ToLower(path.Ext(filename)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || line == "---" {
			continue
		}
		return strings.HasPrefix(line, "apiVersion:") || strings.HasPrefix(line, `"apiVersion"`) || strings.HasPrefix(line, `{`)
	}
	return false
}

// withCacheImports passes the build's --import-cache entries on every solve,
// as BuildKit's Dockerfile frontend does: a gateway frontend's solves use
// imported caches only when they name them.
func withCacheImports(c gateway.Client, imports []gateway.CacheOptionsEntry) gateway.Client {
	if len(imports) == 0 {
		return c
	}
	return &cacheImportClient{Client: c, imports: imports}
}

type cacheImportClient struct {
	gateway.Client
	imports []gateway.CacheOptionsEntry
}

func (c *cacheImportClient) Solve(ctx context.Context, req gateway.SolveRequest) (*gateway.Result, error) {
	if req.Definition != nil && len(req.CacheImports) == 0 {
		req.CacheImports = c.imports
	}
	return c.Client.Solve(ctx, req)
}
