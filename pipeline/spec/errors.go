package spec

import (
	"fmt"
	"strings"
)

// FieldError is a problem with one field of a Spec. When the Spec was parsed
// from a file, File, Line and Column locate the field and SourceLine quotes it.
type FieldError struct {
	// Field is the path of the field: "runtime.user", "build.steps[2].run".
	Field string
	Msg   string

	File         string
	Line, Column int
	SourceLine   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Column)
			}
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.SourceLine != "" {
		b.WriteString("\n    ")
		b.WriteString(e.SourceLine)
	}
	return b.String()
}

// Errors is every problem Validate found, in field order.
type Errors []*FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// errs collects field errors during validation.
type errs struct{ list Errors }

func (e *errs) add(field, format string, args ...any) {
	e.list = append(e.list, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}
