package vulndb

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var zeroModifiedRE = regexp.MustCompile(`"modified": "[^"]*"`)

// osvEntries is a tiny Go vulnerability database in OSV form: a stdlib entry
// limited to windows, a third-party module (the newest "modified"), a toolchain
// entry and a withdrawn golang.org/x entry.
var osvEntries = map[string]string{
	"GO-2099-0001.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2099-0001",
  "modified": "2026-01-02T03:04:05Z",
  "published": "2026-01-01T00:00:00Z",
  "aliases": ["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"],
  "summary": "Path traversal in net/http",
  "details": "A crafted request escapes the served directory.",
  "affected": [{
    "package": {"name": "stdlib", "ecosystem": "Go"},
    "ranges": [{"type": "SEMVER", "events": [
      {"introduced": "0"}, {"fixed": "1.20.8"},
      {"introduced": "1.21.0-0"}, {"fixed": "1.21.1"}]}],
    "ecosystem_specific": {"imports": [{"path": "net/http", "goos": ["windows"], "symbols": ["ServeFile"]}]}
  }],
  "references": [{"type": "FIX", "url": "https://go.dev/cl/1"}],
  "database_specific": {"url": "https://pkg.go.dev/vuln/GO-2099-0001", "review_status": "REVIEWED"}
}`,
	"GO-2099-0002.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2099-0002",
  "modified": "2026-03-04T05:06:07Z",
  "published": "2026-03-01T00:00:00Z",
  "summary": "Denial of service in github.com/example/mod",
  "details": "Deeply nested input exhausts the stack.",
  "affected": [{
    "package": {"name": "github.com/example/mod", "ecosystem": "Go"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.4.1"}]}],
    "ecosystem_specific": {"imports": [{"path": "github.com/example/mod/parse"}]}
  }],
  "database_specific": {"url": "https://pkg.go.dev/vuln/GO-2099-0002"}
}`,
	"GO-2099-0003.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2099-0003",
  "modified": "2026-02-01T00:00:00Z",
  "aliases": ["CVE-2099-0003"],
  "summary": "Code execution at build time in cmd/go",
  "details": "go get runs code from a malicious module.",
  "affected": [{
    "package": {"name": "toolchain", "ecosystem": "Go"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.21.5"}]}],
    "ecosystem_specific": {"imports": [{"path": "cmd/go"}]}
  }]
}`,
	"GO-2099-0004.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2099-0004",
  "modified": "2026-02-02T00:00:00Z",
  "withdrawn": "2026-02-03T00:00:00Z",
  "aliases": ["CVE-2099-0004"],
  "summary": "WITHDRAWN: panic in golang.org/x/text",
  "details": "Withdrawn.",
  "affected": [{
    "package": {"name": "golang.org/x/text", "ecosystem": "Go"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.3.8"}]}]
  }]
}`,
}

// writeOSV writes osvEntries into a new directory; zeroModified blanks every
// "modified", as in the pinned golang.org/x/vulndb snapshot.
func writeOSV(t testing.TB, zeroModified bool) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range osvEntries {
		if zeroModified {
			body = zeroModifiedRE.ReplaceAllString(body, `"modified": "0001-01-01T00:00:00Z"`)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
