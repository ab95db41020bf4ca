package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	out, err := sortedJSON(&c)
	if err != nil {
		return nil, fmt.Errorf("encoding %s report: %w", r.Stage, err)
	}
	return out, nil
}

// sortedJSON encodes v with the keys of every object sorted: it encodes v,
// decodes the result into maps (numbers kept as written) and encodes those,
// which encoding/json writes in key order.
func sortedJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
