package runner

import (
	"context"
	"errors"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/internal/scanrun"
	"github.com/distill-dev/distill/internal/vulndb"
)

// ScanFiles are the documents one scan produced, as written to the report dir.
type ScanFiles = scanrun.Files

// scans are a run's scan stages: the collector and what the scans ran with.
type scans struct {
	*scanrun.Collector
	env *scanEnv
}

// ensureVulnDB opens the vulnerability database; when there is none it
// fetches trivy's (distill db update) and, when that cannot be reached,
// builds one from the Go vulnerability database, saying so loudly: the
// reports then say which ecosystems were not checked.
func ensureVulnDB(ctx context.Context, dir string, logf func(string, ...any)) (*vulndb.DB, error) {
	if dir == "" {
		var err error
		if dir, err = vulndb.DefaultDir(); err != nil {
			return nil, err
		}
	}
	db, err := vulndb.Open(dir)
	var nf *vulndb.NotFoundError
	if err == nil || !errors.As(err, &nf) {
		return db, err
	}
	logf("no vulnerability database in %s: fetching trivy's (distill db update)", dir)
	trivy, terr := vulndb.FindTrivy()
	if terr == nil {
		if db, err = vulndb.Update(ctx, trivy, dir, "", vulndb.WithLogf(logf)); err == nil {
			return db, nil
		}
		logf("distill db update failed: %v", err)
	}
	logf("WARNING: building the vulnerability database from the Go vulnerability database instead (distill db build --from-go-vulndb): Go modules and the standard library are checked, Debian, npm and Python packages are NOT")
	osv, err := vulndb.DownloadGoVulnDB(ctx, vulndb.DefaultGoVulnDBVersion)
	if err != nil {
		return nil, err
	}
	return vulndb.BuildFromGoVulnDB(ctx, osv, dir, vulndb.WithLogf(logf))
}

// prepareScans sets up what the graph's scans need: the vulnerability
// database (mounted as a local context), the scanner image, the policy with
// its VEX documents, and the SBOM records of the bases distill installed.
func prepareScans(ctx context.Context, opts Options, svc *baseimage.Service, g *plan.Graph, dir string, epoch time.Time,
	bases bases, gen *llbgen.Options, so *client.SolveOpt) (*scans, error) {
	env, err := newScanEnv(ctx, svc, opts.VulnDB, opts.Logf)
	if err != nil {
		return nil, err
	}
	db := env.db
	if so.LocalMounts == nil {
		so.LocalMounts = map[string]fsutil.FS{}
	}
	so.LocalMounts[vulnDBContext] = env.dbFS
	gen.Scanner = &env.scanner
	pol, err := scanrun.Policy(g.Policy, dir, opts.VEX, opts.FailOn, nil)
	if err != nil {
		return nil, err
	}
	if age := db.Age(time.Now()); age > 7*24*time.Hour {
		opts.Logf("WARNING: the vulnerability database is %d days old (%s); refresh it with distill db update or distill db build", int(age.Hours()/24), db.Info.Source)
	}
	// SBOM records: the runtime of each platform is the runtime base plus the
	// artifacts; the other stages' records are their builder's packages.
	records := map[string][]sbom.Installed{}
	for k, b := range bases {
		var recs []sbom.Installed
		for _, p := range b.packages {
			recs = append(recs, sbom.Installed(p))
		}
		if k.Ref == g.Runtime.Base {
			records[plan.RuntimeStage+" "+k.Platform.String()] = recs
		}
	}
	c := &scanrun.Collector{
		Policy:  pol,
		Multi:   len(g.Platforms) > 1,
		Image:   g.Name,
		Scanner: env.scanInfo(),
		DB:      env.dbInfo(),
		SBOM:    scanrun.SBOMs(g.Name, epoch, records),
	}
	c.Start(time.Now())
	return &scans{Collector: c, env: env}, nil
}

// scanEnv is what any scan needs: the vulnerability database (opened or
// provisioned) as a local context, and the scanner image.
type scanEnv struct {
	db      *vulndb.DB
	dbFS    fsutil.FS
	scanner llbgen.Scanner
	info    scannerInfo
}

func newScanEnv(ctx context.Context, svc *baseimage.Service, dbDir string, logf func(string, ...any)) (*scanEnv, error) {
	db, err := ensureVulnDB(ctx, dbDir, logf)
	if err != nil {
		return nil, err
	}
	_, dbState, err := vulnDB(db.Dir)
	if err != nil {
		return nil, err
	}
	dbFS, err := fsutil.NewFS(db.Dir)
	if err != nil {
		return nil, err
	}
	image, info, err := scannerImage(ctx, svc, "linux/amd64")
	if err != nil {
		return nil, err
	}
	return &scanEnv{db: db, dbFS: dbFS, scanner: llbgen.Scanner{Image: image, DB: dbState}, info: info}, nil
}

func (e *scanEnv) scanInfo() scan.Scanner {
	return scan.Scanner{Name: "trivy", Version: e.info.Version, Image: e.info.Image}
}

func (e *scanEnv) dbInfo() scan.DB {
	i := e.db.Info
	return scan.DB{Source: i.Source, Schema: i.Schema, UpdatedAt: i.UpdatedAt, Ecosystems: i.Ecosystems}
}
