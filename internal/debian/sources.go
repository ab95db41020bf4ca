package debian

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"pault.ag/go/debian/control"
)

// SourceEntry is one enabled "deb" entry of the apt sources.
type SourceEntry struct {
	Types         []string // as declared, e.g. ["deb"] or ["deb", "deb-src"]; always contains "deb"
	URIs          []string // trailing slashes removed
	Suites        []string
	Components    []string
	Architectures []string // from [arch=…] or Architectures:, nil when not restricted
	// SignedBy is the Signed-By value: a keyring path or fingerprints as
	// written. An inline (armored) key in a deb822 stanza is not kept here;
	// see SignedByInline.
	SignedBy string
	// SignedByInline reports that the deb822 stanza embeds its key block.
	SignedByInline bool
	File           string // file the entry was declared in
	Line           int    // 1-based line of the entry (first line of a deb822 stanza)
}

// HasType reports whether the entry declares type t ("deb", "deb-src").
func (e SourceEntry) HasType(t string) bool {
	return slices.Contains(e.Types, t)
}

// SourcesError reports a malformed apt sources file, with its position.
type SourcesError struct {
	File string
	Line int
	Msg  string
}

func (e *SourcesError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadSources reads the apt sources below root ("/" for the running system):
// etc/apt/sources.list and etc/apt/sources.list.d/*.list and *.sources, the
// latter in lexical order as apt does. Comments, disabled entries (Enabled: no)
// and entries without the "deb" type are left out. Missing files are not an
// error; malformed ones are reported as *SourcesError.
func ReadSources(root string) ([]SourceEntry, error) {
	var files []string
	main := filepath.Join(root, "etc", "apt", "sources.list")
	if _, err := os.Stat(main); err == nil {
		files = append(files, main)
	}
	dir := filepath.Join(root, "etc", "apt", "sources.list.d")
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading apt sources: %w", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, ".list") || strings.HasSuffix(n, ".sources") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, filepath.Join(dir, n))
	}

	var out []SourceEntry
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading apt sources: %w", err)
		}
		var entries []SourceEntry
		if strings.HasSuffix(f, ".sources") {
			entries, err = ParseDeb822Sources(f, data)
		} else {
			entries, err = ParseSourcesList(f, data)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
	}
	return out, nil
}

// ParseSourcesList parses the one-line format of sources.list(5):
//
//	deb [ option=value … ] uri suite [component …]
//
// name is used for positions in errors and SourceEntry.File.
func ParseSourcesList(name string, data []byte) ([]SourceEntry, error) {
	var out []SourceEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return &SourcesError{File: name, Line: lineNo, Msg: fmt.Sprintf(format, args...)}
		}
		typ := fields[0]
		if typ != "deb" && typ != "deb-src" {
			return nil, bad("unknown type %q (want deb or deb-src)", typ)
		}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), typ))
		e := SourceEntry{Types: []string{typ}, File: name, Line: lineNo}
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, bad("unterminated option list")
			}
			for _, opt := range strings.Fields(rest[1:end]) {
				k, v, ok := strings.Cut(opt, "=")
				if !ok {
					return nil, bad("option %q is not key=value", opt)
				}
				applyOption(&e, strings.TrimRight(k, "+-"), v)
			}
			rest = rest[end+1:]
		}
		words := strings.Fields(rest)
		if len(words) < 2 {
			return nil, bad("want a URI and a suite")
		}
		e.URIs = []string{strings.TrimRight(words[0], "/")}
		e.Suites = []string{words[1]}
		if len(words) > 2 {
			e.Components = words[2:]
		} else if !strings.HasSuffix(words[1], "/") {
			return nil, bad("suite %q needs at least one component", words[1])
		}
		if typ == "deb" {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func applyOption(e *SourceEntry, key, value string) {
	switch strings.ToLower(key) {
	case "arch":
		e.Architectures = strings.Split(value, ",")
	case "signed-by":
		e.SignedBy = value
	}
}

// ParseDeb822Sources parses the deb822 format of sources.list(5) (*.sources
// files). Each stanza's fields are parsed with pault.ag/go/debian/control.
func ParseDeb822Sources(name string, data []byte) ([]SourceEntry, error) {
	var out []SourceEntry
	for _, st := range splitStanzas(data) {
		para, err := parseParagraph(st.text)
		if err != nil {
			return nil, &SourcesError{File: name, Line: st.line, Msg: err.Error()}
		}
		if para == nil {
			continue
		}
		get := func(k string) string { return strings.TrimSpace(fieldValue(para, k)) }
		e := SourceEntry{
			Types:         strings.Fields(get("Types")),
			URIs:          strings.Fields(get("URIs")),
			Suites:        strings.Fields(get("Suites")),
			Components:    strings.Fields(get("Components")),
			Architectures: strings.Fields(get("Architectures")),
			File:          name,
			Line:          st.line,
		}
		if len(e.Architectures) == 0 {
			e.Architectures = nil
		}
		if sb := get("Signed-By"); strings.Contains(sb, "BEGIN PGP PUBLIC KEY BLOCK") {
			e.SignedByInline = true
		} else {
			e.SignedBy = sb
		}
		if en := strings.ToLower(get("Enabled")); en == "no" || en == "false" {
			continue
		}
		bad := func(format string, args ...any) error {
			return &SourcesError{File: name, Line: st.line, Msg: fmt.Sprintf(format, args...)}
		}
		if len(e.Types) == 0 {
			return nil, bad("stanza has no Types")
		}
		for _, t := range e.Types {
			if t != "deb" && t != "deb-src" {
				return nil, bad("unknown type %q (want deb or deb-src)", t)
			}
		}
		if len(e.URIs) == 0 || len(e.Suites) == 0 {
			return nil, bad("stanza needs URIs and Suites")
		}
		for i, u := range e.URIs {
			e.URIs[i] = strings.TrimRight(u, "/")
		}
		if !e.HasType("deb") {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

type stanza struct {
	text []byte
	line int
}

// splitStanzas splits deb822 text at blank (or whitespace-only) lines and
// records the first non-comment line of each stanza. Comment-only stanzas
// are dropped.
func splitStanzas(data []byte) []stanza {
	var out []stanza
	var cur bytes.Buffer
	start := 0
	flush := func() {
		if start > 0 {
			out = append(out, stanza{text: bytes.Clone(cur.Bytes()), line: start})
		}
		cur.Reset()
		start = 0
	}
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			flush()
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if start == 0 {
			start = i + 1
		}
		cur.WriteString(strings.TrimRight(line, "\r"))
		cur.WriteByte('\n')
	}
	flush()
	return out
}

// parseParagraph parses one control paragraph; nil when text holds none.
func parseParagraph(text []byte) (*control.Paragraph, error) {
	r, err := control.NewParagraphReader(bytes.NewReader(text), nil)
	if err != nil {
		return nil, err
	}
	p, err := r.Next()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// fieldValue looks a field up case-insensitively, as deb822 field names are.
func fieldValue(p *control.Paragraph, key string) string {
	if v, ok := p.Values[key]; ok {
		return v
	}
	for _, k := range p.Order {
		if strings.EqualFold(k, key) {
			return p.Values[k]
		}
	}
	return ""
}
