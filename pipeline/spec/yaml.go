package spec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Load reads and parses a distill.yaml file.
func Load(file string) (*Spec, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(data, file)
}

// Parse decodes a distill.yaml document (YAML or JSON) and validates it.
// Every error is a *FieldError or Errors carrying file, line and column, and
// quoting the source line.
func Parse(data []byte, file string) (*Spec, error) {
	var s Spec
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.DisallowUnknownField()); err != nil {
		return nil, decodeError(data, file, err)
	}
	err := s.Validate()
	if s.APIVersion == "" {
		// The Go API fills it in; a file must say which format it is.
		missing := &FieldError{Field: "apiVersion", Msg: fmt.Sprintf("required: %q", APIVersion)}
		var es Errors
		errors.As(err, &es)
		err = append(Errors{missing}, es...)
	}
	if err != nil {
		var es Errors
		if errors.As(err, &es) {
			locate(data, file, es)
		}
		return nil, err
	}
	return &s, nil
}

// yamlError is what go-yaml's errors carry: the offending token.
type yamlError interface {
	GetToken() *token.Token
	GetMessage() string
}

// unknownFieldRe extracts the field name from go-yaml's unknown-field message.
var unknownFieldRe = regexp.MustCompile(`unknown field "([^"]+)"`)

func decodeError(data []byte, file string, err error) error {
	fe := &FieldError{File: file, Msg: err.Error()}
	var ye yamlError
	if errors.As(err, &ye) {
		fe.Msg = ye.GetMessage()
		if m := unknownFieldRe.FindStringSubmatch(fe.Msg); m != nil {
			fe.Msg = fmt.Sprintf("unknown field %q (see docs/distill-yaml.md for the fields of a distill.yaml)", m[1])
		}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
			fe.SourceLine = sourceLine(data, fe.Line)
		}
	}
	return fe
}

// locate sets the position of each field error from the document's syntax
// tree: the field's own node, or the nearest enclosing one that exists (a
// missing required field is reported where its parent is).
func locate(data []byte, file string, es Errors) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return
	}
	for _, e := range es {
		e.File = file
		for p := e.Field; ; p = parentPath(p) {
			if n := lookup(f, p); n != nil {
				if tk := position(f, p, n); tk != nil && tk.Position != nil {
					e.Line, e.Column = tk.Position.Line, tk.Position.Column
					e.SourceLine = sourceLine(data, e.Line)
				}
				break
			}
			if p == "" {
				break
			}
		}
	}
}

// position is the token to report for node n at field path p. A block
// mapping or sequence has no token of its own: its first one is in its first
// entry, a line below. Report it at its key instead ("build:"), which is also
// where a field missing from it is reported.
func position(f *ast.File, p string, n ast.Node) *token.Token {
	block := false
	switch c := n.(type) {
	case *ast.MappingNode:
		block = !c.IsFlowStyle
	case *ast.SequenceNode:
		block = !c.IsFlowStyle
	case *ast.MappingValueNode:
		block = true
	}
	if block && p != "" && !strings.HasSuffix(p, "]") {
		parent := parentPath(p)
		key := strings.TrimPrefix(p[len(parent):], ".")
		for _, v := range mappingValues(lookup(f, parent)) {
			if tk := v.Key.GetToken(); tk != nil && tk.Value == key {
				return tk
			}
		}
	}
	return n.GetToken()
}

func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
	}
	return nil
}

func lookup(f *ast.File, field string) ast.Node {
	expr := "$"
	if field != "" {
		expr += "." + field
	}
	p, err := yaml.PathString(expr)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(f)
	if err != nil {
		return nil
	}
	return n
}

// parentPath drops the last element of a field path: "a.b[2].c" → "a.b[2]" → "a.b" → "a" → "".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		return p[:strings.LastIndex(p, "[")]
	}
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[:i]
	}
	return ""
}

func sourceLine(data []byte, line int) string {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimRight(string(lines[line-1]), "\r")
}
