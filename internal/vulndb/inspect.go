package vulndb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Top-level buckets of a trivy DB that hold no advisories. The last three exist
// only while trivy-db builds.
var internalBuckets = map[string]bool{
	"vulnerability": true, "data-source": true, "Red Hat CPE": true,
	"advisory-detail": true, "vulnerability-detail": true, "vulnerability-id": true,
}

// Operating-system buckets whose names are not "<ecosystem> <version>"
// (trivy-db pkg/vulnsrc/bucket), lower-cased.
var osBucketNames = []struct{ prefix, ecosystem string }{
	{"amazon linux", "amazon"},
	{"azure linux", "azure-linux"},
	{"cbl-mariner", "cbl-mariner"},
	{"oracle linux", "oracle"},
	{"red hat", "redhat"},
	{"photon os", "photon"},
	{"opensuse", "suse"},
	{"suse linux enterprise", "suse"},
}

// bucketEcosystem maps a top-level bucket name to the ecosystem it holds advisories
// for: "go::The Go Vulnerability Database" → go, "pip::…" → python, "debian 12" →
// debian. ok is false for trivy's own buckets.
func bucketEcosystem(name string) (ecosystem string, ok bool) {
	if internalBuckets[name] {
		return "", false
	}
	if eco, _, lang := strings.Cut(name, "::"); lang {
		if eco == "pip" {
			return "python", true
		}
		return eco, eco != ""
	}
	lower := strings.ToLower(name)
	for _, b := range osBucketNames {
		if lower == b.prefix || strings.HasPrefix(lower, b.prefix+" ") {
			return b.ecosystem, true
		}
	}
	fields := strings.Fields(lower)
	if len(fields) == 0 {
		return "", false
	}
	return fields[0], true
}

// inspect reads a trivy.db read-only: the ecosystems of its advisory buckets,
// sorted, and the number of vulnerability IDs.
func inspect(path string) (ecosystems []string, advisories int, err error) {
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, 0, fmt.Errorf("%s is not a readable trivy database: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if string(name) == "vulnerability" {
				advisories = b.Stats().KeyN
				return nil
			}
			if eco, ok := bucketEcosystem(string(name)); ok && !slices.Contains(ecosystems, eco) {
				ecosystems = append(ecosystems, eco)
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	slices.Sort(ecosystems)
	return ecosystems, advisories, nil
}
