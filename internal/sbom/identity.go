package sbom

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/google/uuid"
)

// refNamespace is the UUIDv5 namespace of every identifier distill derives.
var refNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://distill.dev/sbom"))

// node is one element of an SBOM (a component, a package, a file) seen only
// through what identifies it: its own content key and its neighbours in the
// dependency graph.
type node struct {
	key      string // type, name, version, purl, file path…
	up, down []int  // parents and children, by index
	content  string // the element's full content: the last tie-breaker
}

// identities gives every node a key that is unique within the document and
// depends only on content, never on the order or the random identifiers of the
// input. Nodes with equal content keys (the Go stdlib of two binaries) are told
// apart by their neighbourhoods, refined round by round as in colour
// refinement: a node's key absorbs the keys of its parents and children until
// no round separates more nodes. Nodes that even that cannot tell apart are
// interchangeable in the graph; they are numbered in the order of their
// content.
func identities(nodes []node) []string {
	keys := make([]string, len(nodes))
	for i, n := range nodes {
		keys[i] = digestOf(n.key)
	}
	distinct := countDistinct(keys)
	for distinct < len(keys) {
		counts := countEach(keys)
		next := slices.Clone(keys)
		for i, n := range nodes {
			if counts[keys[i]] < 2 {
				continue
			}
			parts := []string{keys[i], "up"}
			parts = append(parts, sortedKeys(keys, n.up)...)
			parts = append(parts, "down")
			parts = append(parts, sortedKeys(keys, n.down)...)
			next[i] = digestOf(parts...)
		}
		d := countDistinct(next)
		if d == distinct {
			break
		}
		keys, distinct = next, d
	}
	if distinct == len(keys) {
		return keys
	}
	groups := map[string][]int{}
	for i, k := range keys {
		groups[k] = append(groups[k], i)
	}
	for k, idx := range groups {
		if len(idx) < 2 {
			continue
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			if c := cmp.Compare(nodes[a].content, nodes[b].content); c != 0 {
				return c
			}
			return a - b
		})
		for n, i := range idx {
			keys[i] = digestOf(k, strconv.Itoa(n))
		}
	}
	return keys
}

func sortedKeys(keys []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = keys[j]
	}
	slices.Sort(out)
	return out
}

func countEach(keys []string) map[string]int {
	m := make(map[string]int, len(keys))
	for _, k := range keys {
		m[k]++
	}
	return m
}

func countDistinct(keys []string) int { return len(countEach(keys)) }

// digestOf hashes the parts, unambiguously separated.
func digestOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// contentKey joins the fields that identify an element.
func contentKey(fields ...string) string { return digestOf(fields...) }

// derivedUUID is the UUIDv5 for a key in distill's namespace.
func derivedUUID(key string) string { return uuid.NewSHA1(refNamespace, []byte(key)).String() }
