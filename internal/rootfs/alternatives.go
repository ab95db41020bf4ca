package rootfs

import (
	"archive/tar"
	"path"
	"sort"
	"strconv"
	"strings"
)

// alternative is one `update-alternatives --install` call of a maintainer script.
type alternative struct {
	link, name, target string
	priority           int
	slaves             []alternative
}

// parseAlternatives finds update-alternatives --install calls in a maintainer
// script. distill does not run maintainer scripts, but the links they register
// (awk → mawk, cc → gcc) are part of what users expect from an installed
// package, so distill creates them. Calls with shell variables are skipped.
func parseAlternatives(script []byte) []alternative {
	joined := strings.ReplaceAll(string(script), "\\\n", " ")
	var out []alternative
	for _, line := range strings.Split(joined, "\n") {
		fields := strings.Fields(line)
		for i := 0; i < len(fields); i++ {
			if fields[i] != "--install" || i+4 >= len(fields) {
				continue
			}
			a, ok := newAlternative(fields[i+1 : i+5])
			if !ok {
				continue
			}
			rest := fields[i+5:]
			for j := 0; j+3 < len(rest) && rest[j] == "--slave"; j += 4 {
				if s, ok := newAlternative(append(rest[j+1:j+4:j+4], "0")); ok {
					a.slaves = append(a.slaves, s)
				}
			}
			out = append(out, a)
		}
	}
	return out
}

func newAlternative(f []string) (alternative, bool) {
	for _, s := range f {
		if strings.ContainsAny(s, "$`\"';|&") {
			return alternative{}, false
		}
	}
	prio, err := strconv.Atoi(f[3])
	if err != nil || !path.IsAbs(f[0]) || !path.IsAbs(f[2]) {
		return alternative{}, false
	}
	return alternative{link: f[0], name: f[1], target: f[2], priority: prio}, true
}

// applyAlternatives creates /etc/alternatives/<name> and the link for the
// highest-priority alternative of each name whose target exists (ties: the
// alphabetically first target), as update-alternatives in auto mode does.
// lookup reports the tar type of a path present in the image so far.
func (t *tree) applyAlternatives(alts []alternative, lookup func(string) (byte, bool)) {
	exists := func(p string) bool {
		_, ok := lookup(p)
		return ok
	}
	best := map[string]alternative{}
	for _, a := range alts {
		if !exists(usrMerge(cleanPath(a.target))) {
			continue
		}
		cur, ok := best[a.name]
		if !ok || a.priority > cur.priority || (a.priority == cur.priority && a.target < cur.target) {
			best[a.name] = a
		}
	}
	names := make([]string, 0, len(best))
	for n := range best {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := best[n]
		t.alternativeLink(a, lookup)
		for _, s := range a.slaves {
			if exists(usrMerge(cleanPath(s.target))) {
				t.alternativeLink(s, lookup)
			}
		}
	}
}

func (t *tree) alternativeLink(a alternative, lookup func(string) (byte, bool)) {
	link := usrMerge(cleanPath(a.link))
	if typ, ok := lookup(link); ok && typ != tar.TypeSymlink {
		return // a real file, in this layer or an earlier one, wins over an alternative, as in dpkg
	}
	t.symlink("etc/alternatives/"+a.name, a.target)
	t.symlink(link, "/etc/alternatives/"+a.name)
}
