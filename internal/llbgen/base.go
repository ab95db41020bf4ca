package llbgen

import (
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// BaseStoreID is the id under which the client attaches distill's local image
// store to a solve (client.SolveOpt.OCIStores).
const BaseStoreID = "distill-base"

// FromStore returns the state of an image held in the store attached under
// BaseStoreID, identified by name (for display) and manifest digest, with its
// config's environment, user and working directory applied, as the Dockerfile
// frontend does for FROM.
func FromStore(name string, digest v1.Hash, cf *v1.ConfigFile) llb.State {
	p := ocispecs.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	st := llb.OCILayout(name+"@"+digest.String(), llb.OCIStore("", BaseStoreID), llb.Platform(p),
		llb.WithCustomNamef("distill base %s", name))
	return WithImageConfig(st, cf.Config.Env, cf.Config.User, cf.Config.WorkingDir).Platform(p)
}

// WithImageConfig applies an image config's environment, user and working
// directory to a state, as FROM does in a Dockerfile.
func WithImageConfig(st llb.State, env []string, user, workdir string) llb.State {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		st = st.AddEnv(k, v)
	}
	if user != "" {
		st = st.User(user)
	}
	if workdir != "" {
		st = st.Dir(workdir)
	}
	return st
}
