package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/openvex/go-vex/pkg/vex"

	"github.com/distill-dev/distill/internal/catalog"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/internal/scanrun"
)

// buildPlatform is where build stages and scanners run, as in the CLI.
var buildPlatform = plan.Platform{OS: "linux", Arch: "amd64"}

// scanEnv is what the scans run with: the scanner and database images and
// what reports and provenance say about them.
type scanEnv struct {
	scanner    llbgen.Scanner
	info       scan.Scanner
	db         catalog.DBInfo
	dbSHA256   string
	dbImage    string
	scannerRef string
}

// newScanEnv takes the scanner and the database from the catalog, or from
// the images the options name, and reads the database's description from
// its image.
func newScanEnv(ctx context.Context, c gateway.Client, cat *catalog.Catalog, o options) (*scanEnv, error) {
	p := llb.Platform(ocispecPlatform(buildPlatform))
	e := &scanEnv{scannerRef: cat.Scanner.Image, dbImage: cat.VulnDB.Image}
	e.info = scan.Scanner{Name: "trivy", Version: cat.Scanner.Version, Image: cat.Scanner.Image}
	if o.scanner != "" {
		e.scannerRef = o.scanner
		e.info = scan.Scanner{Name: "trivy", Version: "unknown (--opt scanner)", Image: o.scanner}
	}
	if o.vulnDB != "" {
		e.dbImage = o.vulnDB
	}
	if e.scannerRef == "" || e.dbImage == "" {
		return nil, fmt.Errorf("this frontend has no scanner or vulnerability database image: pass --opt %s=IMAGE and --opt %s=IMAGE, or --opt %s=off", OptScanner, OptVulnDB, OptScan)
	}
	db := llb.Image(e.dbImage, p, llb.WithCustomName("[source] vulnerability database "+e.dbImage))
	e.scanner = llbgen.Scanner{
		Image: llb.Image(e.scannerRef, p, llb.WithCustomName("[source] scanner "+e.scannerRef)),
		DB:    db,
	}
	e.db, e.dbSHA256 = cat.VulnDB.Info, cat.VulnDB.SHA256
	if o.vulnDB != "" {
		desc, err := readDBInfo(ctx, c, o.vulnDB)
		if err != nil {
			return nil, fmt.Errorf("vulnerability database %s: %w", o.vulnDB, err)
		}
		e.db, e.dbSHA256 = desc.Info, desc.SHA256
	}
	return e, nil
}

// readDBInfo reads distill's description of a database image from its
// config (catalog.VulnDBLabel).
func readDBInfo(ctx context.Context, c gateway.Client, ref string) (catalog.VulnDB, error) {
	var desc catalog.VulnDB
	p := ocispecPlatform(buildPlatform)
	_, _, dt, err := c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p}})
	if err != nil {
		return desc, err
	}
	var img ocispecs.Image
	if err := json.Unmarshal(dt, &img); err != nil {
		return desc, err
	}
	v, ok := img.Config.Labels[catalog.VulnDBLabel]
	if !ok {
		return desc, fmt.Errorf("no %s label: not a database image made by distill frontend publish", catalog.VulnDBLabel)
	}
	if err := json.Unmarshal([]byte(v), &desc); err != nil {
		return desc, fmt.Errorf("label %s: %w", catalog.VulnDBLabel, err)
	}
	return desc, nil
}

func (e *scanEnv) dbInfo() scan.DB {
	return scan.DB{Source: e.db.Source, Schema: e.db.Schema, UpdatedAt: e.db.UpdatedAt, Ecosystems: e.db.Ecosystems}
}

// collector holds scans to pol, with the environment's scanner and database.
func (e *scanEnv) collector(pol scan.Policy, name string, multi bool, epoch time.Time, records map[string][]sbom.Installed) *scanrun.Collector {
	c := &scanrun.Collector{
		Policy: pol, Multi: multi, Image: name,
		Scanner: e.info, DB: e.dbInfo(),
		SBOM: scanrun.SBOMs(name, epoch, records),
	}
	c.Start(time.Now())
	return c
}

// warnStale says, in the build's output, when the database is old.
func (e *scanEnv) warnStale(ctx context.Context, c gateway.Client) {
	if e.db.UpdatedAt.IsZero() {
		return
	}
	if age := time.Since(e.db.UpdatedAt); age > 7*24*time.Hour {
		warn(ctx, c, fmt.Sprintf("the vulnerability database is %d days old (%s): publish the frontend again or pass --opt %s=IMAGE", int(age.Hours()/24), e.db.Source, OptVulnDB))
	}
}

// vexLoader reads OpenVEX documents from the build context.
func vexLoader(ctx context.Context, ref gateway.Reference) func(string) (*vex.VEX, error) {
	return func(p string) (*vex.VEX, error) {
		if ref == nil {
			return nil, fmt.Errorf("VEX %s: the build has no context to read it from", p)
		}
		dt, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: strings.TrimPrefix(p, "/")})
		if err != nil {
			return nil, fmt.Errorf("reading VEX %s from the build context: %w", p, err)
		}
		return scan.ParseVEX(dt, p)
	}
}

// summary shows the scans' one-line story as a step of the build's
// progress: "[distill] build: 12 vulns (2 critical) · runtime: 0 vulns".
func summary(ctx context.Context, c gateway.Client, reports []*scan.Report) {
	if len(reports) == 0 {
		return
	}
	st := llb.Scratch().File(llb.Mkfile("/summary", 0o644, []byte(scan.Line(reports))),
		llb.WithCustomName("[distill] "+scan.Line(reports)))
	def, err := st.Marshal(ctx)
	if err != nil {
		return
	}
	_, _ = c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
}

// warn prints a warning in the build's output.
func warn(ctx context.Context, c gateway.Client, msg string) {
	_ = c.Warn(ctx, "", msg, gateway.WarnOpts{})
}
