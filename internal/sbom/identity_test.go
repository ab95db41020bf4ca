package sbom

import (
	"math/rand/v2"
	"testing"
)

// A graph like trivy's for two copies of one Go binary at different paths:
// app A and app B (unique), each with a main module M and a stdlib S that are
// equal in content. Only the graph tells the copies apart.
func twoBinaries() []node {
	return []node{
		{key: "app A", down: []int{2}},
		{key: "app B", down: []int{3}},
		{key: "main M", up: []int{0}, down: []int{4}},
		{key: "main M", up: []int{1}, down: []int{5}},
		{key: "stdlib S", up: []int{2}},
		{key: "stdlib S", up: []int{3}},
	}
}

func TestIdentitiesTellEqualContentApartByTheGraph(t *testing.T) {
	keys := identities(twoBinaries())
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Fatalf("keys are not unique: %v", keys)
		}
		seen[k] = true
	}
	// Unique content keeps the key it has on its own.
	if keys[0] != digestOf("app A") {
		t.Error("a node with unique content got a graph-dependent key")
	}
}

// The keys depend on content and structure only: relabelling the nodes (as
// a different input order does) gives every node the same key.
func TestIdentitiesIgnoreInputOrder(t *testing.T) {
	nodes := twoBinaries()
	want := identities(nodes)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		perm := r.Perm(len(nodes))
		shuffled := make([]node, len(nodes))
		for old, n := range nodes {
			m := node{key: n.key}
			for _, u := range n.up {
				m.up = append(m.up, perm[u])
			}
			for _, d := range n.down {
				m.down = append(m.down, perm[d])
			}
			shuffled[perm[old]] = m
		}
		got := identities(shuffled)
		for old := range nodes {
			if got[perm[old]] != want[old] {
				t.Fatalf("node %q got another key after reordering", nodes[old].key)
			}
		}
	}
}

// Nodes that nothing tells apart are numbered by content, so their keys are
// still unique.
func TestIdentitiesOfIndistinguishableNodes(t *testing.T) {
	keys := identities([]node{{key: "x", content: "b"}, {key: "x", content: "a"}})
	if keys[0] == keys[1] {
		t.Fatal("equal keys")
	}
	again := identities([]node{{key: "x", content: "a"}, {key: "x", content: "b"}})
	if keys[0] != again[1] || keys[1] != again[0] {
		t.Fatal("the numbering depends on input order")
	}
}
