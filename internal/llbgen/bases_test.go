package llbgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/distill-dev/distill/internal/plan"
)

// FakeBases resolves every base to a fixed image reference with a digest
// derived from the base and platform, and a config like distill's flavours
// have. It records what was asked for. (Exported for the llbgen_test package.)
type FakeBases struct {
	Requests []string // "<base> <platform>"
}

// Base config of the fake images.
var (
	fakeEnv    = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	fakeLabels = map[string]string{
		"org.opencontainers.image.description": "the base's description",
		"org.opencontainers.image.vendor":      "distill",
	}
)

func (b *FakeBases) Base(ref plan.BaseRef, p plan.Platform) (llb.State, *ocispecs.Image, error) {
	b.Requests = append(b.Requests, ref.String()+" "+p.String())
	if ref.Image == "example.invalid/missing:1" {
		return llb.State{}, nil, fmt.Errorf("no such image")
	}
	sum := sha256.Sum256([]byte(ref.String() + " " + p.String()))
	name := ref.Image
	if name == "" {
		name = "example.invalid/distill/" + strings.ReplaceAll(ref.Flavour, ":", "-")
	}
	name, _, _ = strings.Cut(name, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	op := ocispecs.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
	img := &ocispecs.Image{
		Platform: op,
		Config: ocispecs.ImageConfig{
			Env:          append([]string(nil), fakeEnv...),
			User:         "0:0",
			WorkingDir:   "/",
			Cmd:          []string{"/bin/sh"},
			Labels:       map[string]string{},
			ExposedPorts: map[string]struct{}{"22/tcp": {}},
		},
		RootFS:  ocispecs.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.Digest("sha256:" + hex.EncodeToString(sum[:]))}},
		History: []ocispecs.History{{CreatedBy: "distill base"}},
	}
	for k, v := range fakeLabels {
		img.Config.Labels[k] = v
	}
	st := llb.Image(name+"@sha256:"+hex.EncodeToString(sum[:]), llb.Platform(op))
	for _, kv := range img.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		st = st.AddEnv(k, v)
	}
	st = st.User(img.Config.User).Dir(img.Config.WorkingDir).Platform(op)
	return st, img, nil
}

// Vertex is one op of a marshalled definition.
type Vertex struct {
	Digest digest.Digest
	Op     *pb.Op
	Name   string // llb.customname
}

// Vertices marshals st and decodes every op of its definition.
func Vertices(t testing.TB, st llb.State, co ...llb.ConstraintsOpt) []Vertex {
	t.Helper()
	def, err := st.Marshal(context.Background(), co...)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var out []Vertex
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		out = append(out, Vertex{Digest: d, Op: &op, Name: def.Metadata[d].Description["llb.customname"]})
	}
	return out
}

// StateDigest identifies a state's whole definition: every op in order and
// the metadata (progress names, capabilities) in key order. (The definition's
// own protobuf encoding iterates maps at random, so it is not used.)
func StateDigest(t testing.TB, st llb.State, co ...llb.ConstraintsOpt) digest.Digest {
	t.Helper()
	def, err := st.Marshal(context.Background(), co...)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	dg := digest.SHA256.Digester()
	for _, dt := range def.Def {
		fmt.Fprintf(dg.Hash(), "%d:", len(dt))
		dg.Hash().Write(dt)
	}
	md, err := json.Marshal(def.ToPB().Metadata) // encoding/json sorts map keys
	if err != nil {
		t.Fatal(err)
	}
	dg.Hash().Write(md)
	return dg.Digest()
}

// exec returns the exec op named name (its progress name, without the
// "[stage] " prefix when the name has none) and its vertex.
func execNamed(t testing.TB, vs []Vertex, name string) (*pb.ExecOp, Vertex) {
	t.Helper()
	var names []string
	for _, v := range vs {
		if e := v.Op.GetExec(); e != nil {
			if v.Name == name {
				return e, v
			}
			names = append(names, v.Name)
		}
	}
	t.Fatalf("no exec %q; execs: %q", name, names)
	return nil, Vertex{}
}

func fileOps(vs []Vertex) []Vertex {
	var out []Vertex
	for _, v := range vs {
		if v.Op.GetFile() != nil {
			out = append(out, v)
		}
	}
	return out
}

func mountsOf(e *pb.ExecOp, typ pb.MountType) []*pb.Mount {
	var out []*pb.Mount
	for _, m := range e.Mounts {
		if m.MountType == typ {
			out = append(out, m)
		}
	}
	return out
}

func hasEnv(env []string, kv string) bool {
	for _, e := range env {
		if e == kv {
			return true
		}
	}
	return false
}

func envValue(env []string, key string) (string, bool) {
	for _, e := range env {
		if k, v, ok := strings.Cut(e, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// FakeScanner is a scan container of fixed test images.
func FakeScanner() *Scanner {
	return &Scanner{
		Image: llb.Image("example.invalid/distill/trivy@sha256:" + strings.Repeat("5", 64)),
		DB:    llb.Image("example.invalid/distill/vulndb@sha256:" + strings.Repeat("6", 64)),
	}
}
