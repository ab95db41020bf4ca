package llbgen

import (
	"github.com/moby/buildkit/client/llb"

	"github.com/distill-dev/distill/internal/plan"
)

// Secret ids under which the client hands its network settings to fetch
// steps (go mod download, npm ci, pip install). They are BuildKit secrets:
// never in a layer, a cache key or the provenance. Missing ones are skipped.
const (
	// SecretCABundle is the client's CA bundle, mounted over the builder's
	// /etc/ssl/certs/ca-certificates.crt, so TLS-inspecting proxies work.
	SecretCABundle = "distill.ca-bundle"
	// SecretEnvPrefix + NAME carries the client's value of environment NAME.
	SecretEnvPrefix = "distill.env."
)

// caBundlePath is where Debian (and distill's builders) keep the CA bundle.
const caBundlePath = "/etc/ssl/certs/ca-certificates.crt"

// proxyEnv are passed to every fetch step.
var proxyEnv = []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

// FetchEnv lists, per fetch kind, the client environment variables a fetch
// step receives (besides the proxies).
var FetchEnv = map[plan.Fetch][]string{
	plan.FetchGo:  {"GOPROXY", "GOSUMDB", "GONOSUMDB", "GONOPROXY", "GOPRIVATE", "GOINSECURE"},
	plan.FetchNPM: {"NPM_CONFIG_REGISTRY"},
	plan.FetchPip: {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST"},
}

// fetchEnvDefaults point tools that do not read the system bundle at it.
var fetchEnvDefaults = map[plan.Fetch][][2]string{
	plan.FetchNPM: {{"NODE_EXTRA_CA_CERTS", caBundlePath}},
	plan.FetchPip: {{"PIP_CERT", caBundlePath}},
}

// EnvNames returns every client environment variable a fetch step may
// receive, for the client to offer as secrets.
func EnvNames() []string {
	names := append([]string(nil), proxyEnv...)
	for _, kind := range []plan.Fetch{plan.FetchGo, plan.FetchNPM, plan.FetchPip} {
		names = append(names, FetchEnv[kind]...)
	}
	return names
}

func fetchOptions(kind plan.Fetch) []llb.RunOption {
	if kind == plan.FetchNone {
		return nil
	}
	opts := []llb.RunOption{
		llb.AddSecret(caBundlePath, llb.SecretID(SecretCABundle), llb.SecretFileOpt(0, 0, 0o444), llb.SecretOptional),
	}
	for _, name := range append(append([]string(nil), proxyEnv...), FetchEnv[kind]...) {
		opts = append(opts, llb.AddSecretWithDest(SecretEnvPrefix+name, nil, llb.SecretAsEnvName(name), llb.SecretOptional))
	}
	for _, kv := range fetchEnvDefaults[kind] {
		opts = append(opts, llb.AddEnv(kv[0], kv[1]))
	}
	return opts
}
