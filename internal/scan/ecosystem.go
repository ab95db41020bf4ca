package scan

import "strings"

// Ecosystem names for the ecosystems distill's images carry; they match
// trivy-db's advisory buckets as internal/vulndb reports them.
const (
	EcosystemDebian = "debian"
	EcosystemGo     = "go"
	EcosystemNPM    = "npm"
	EcosystemPython = "python"
)

// langEcosystems maps trivy's language result types to the trivy-db
// ecosystem whose advisories apply to them.
var langEcosystems = map[string]string{
	"gobinary": EcosystemGo, "gomod": EcosystemGo,
	"node-pkg": EcosystemNPM, "npm": EcosystemNPM, "yarn": EcosystemNPM, "pnpm": EcosystemNPM, "bun": EcosystemNPM, "javascript": EcosystemNPM,
	"python-pkg": EcosystemPython, "pip": EcosystemPython, "pipenv": EcosystemPython, "poetry": EcosystemPython, "uv": EcosystemPython, "pylock": EcosystemPython,
	"conda-pkg": "conda", "conda-environment": "conda",
	"jar": "maven", "pom": "maven", "gradle": "maven", "sbt": "maven",
	"cargo": "cargo", "rustbinary": "cargo",
	"composer": "composer", "composer-vendor": "composer",
	"bundler": "rubygems", "gemspec": "rubygems",
	"nuget": "nuget", "dotnet-core": "nuget", "packages-props": "nuget",
	"conan": "conan", "cocoapods": "cocoapods", "swift": "swift", "pub": "pub",
	"hex": "erlang", "bitnami": "bitnami", "julia": "julia",
	"kubernetes": "k8s", "eks": "k8s", "gke": "k8s", "aks": "k8s", "rke": "k8s", "ocp": "k8s",
}

// osEcosystems maps trivy's OS families to trivy-db's OS ecosystems where
// the names differ.
var osEcosystems = map[string]string{
	"azurelinux":          "azure-linux",
	"opensuse":            "suse",
	"opensuse-leap":       "suse",
	"opensuse-tumbleweed": "suse",
	"sles":                "suse",
	"slem":                "suse",
	"centos-stream":       "centos",
}

// ecosystemOf returns the advisory ecosystem of a trivy result; a type this
// package does not know keeps trivy's name, so it shows up as NOT CHECKED
// rather than disappearing.
func ecosystemOf(res trivyResult) string {
	t := strings.ToLower(res.Type)
	if res.Class == "os-pkgs" {
		if eco, ok := osEcosystems[t]; ok {
			return eco
		}
		return t
	}
	if eco, ok := langEcosystems[t]; ok {
		return eco
	}
	return t
}
