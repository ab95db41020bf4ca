package llbgen

import (
	"github.com/moby/buildkit/client/llb"

	"github.com/distill-dev/distill/internal/plan"
)

// Secret ids and environment of fetch steps: see plan.FetchSecrets.
const (
	SecretCABundle  = plan.SecretCABundle
	SecretEnvPrefix = plan.SecretEnvPrefix
)

// FetchEnv lists, per fetch kind, the client environment variables a fetch
// step receives (besides the proxies).
var FetchEnv = plan.FetchEnv

// EnvNames returns every client environment variable a fetch step may
// receive, for the client to offer as secrets.
func EnvNames() []string { return plan.FetchEnvNames() }

func fetchOptions(kind plan.Fetch) []llb.RunOption {
	if kind == plan.FetchNone {
		return nil
	}
	opts := []llb.RunOption{
		llb.AddSecret(plan.CABundlePath, llb.SecretID(SecretCABundle), llb.SecretFileOpt(0, 0, 0o444), llb.SecretOptional),
	}
	for _, name := range plan.FetchEnvOf(kind) {
		opts = append(opts, llb.AddSecretWithDest(SecretEnvPrefix+name, nil, llb.SecretAsEnvName(name), llb.SecretOptional))
	}
	for _, kv := range plan.FetchEnvDefaults[kind] {
		opts = append(opts, llb.AddEnv(kv[0], kv[1]))
	}
	return opts
}
