package scan

import (
	"encoding/json"
	"fmt"

	"github.com/distill-dev/distill/internal/canonical"
)

// JSON encodes the report: indented, every object's keys sorted, no HTML
// escaping, ending in a newline. Empty lists are written as [] rather than
// null.
func (r *Report) JSON() ([]byte, error) {
	c := *r
	if c.Coverage == nil {
		c.Coverage = []Coverage{}
	}
	if c.Findings == nil {
		c.Findings = []Finding{}
	}
	if c.DB.Ecosystems == nil {
		c.DB.Ecosystems = []string{}
	}
	if c.Summary.BySeverity == nil {
		c.summarize()
	}
	if c.Policy != nil && c.Policy.Failing == nil {
		p := *c.Policy
		p.Failing = []Finding{}
		c.Policy = &p
	}
	out, err := canonical.JSON(&c)
	if err != nil {
		return nil, fmt.Errorf("encoding %s report: %w", r.Stage, err)
	}
	return out, nil
}

// ParseReport reads a report written by [Report.JSON].
func ParseReport(data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("reading scan report: %w", err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("reading scan report: schema %q, want %q", r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
