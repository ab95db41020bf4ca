package scan

import (
	"fmt"
	"strings"
)

// Severity is an advisory's severity as trivy names it.
type Severity string

// The severities, lowest first. UNKNOWN is what an advisory without a severity
// gets (every entry of the Go vulnerability database); a [Policy] decides how it
// counts.
const (
	Unknown  Severity = "UNKNOWN"
	Low      Severity = "LOW"
	Medium   Severity = "MEDIUM"
	High     Severity = "HIGH"
	Critical Severity = "CRITICAL"
)

// Severities lists every severity, highest first, as reports list them.
var Severities = []Severity{Critical, High, Medium, Low, Unknown}

// ParseSeverity reads a severity, ignoring case and surrounding space.
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(strings.ToUpper(strings.TrimSpace(s)))
	if sev.Rank() < 0 {
		return "", fmt.Errorf("invalid severity %q: want one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL", s)
	}
	return sev, nil
}

// Rank orders severities: UNKNOWN 0, LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4, and -1
// for anything else (including "").
func (s Severity) Rank() int {
	switch s {
	case Unknown:
		return 0
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	case Critical:
		return 4
	}
	return -1
}

// AtLeast reports whether s is at or above threshold.
func (s Severity) AtLeast(threshold Severity) bool {
	return threshold.Rank() >= 0 && s.Rank() >= threshold.Rank()
}

// normalizeSeverity maps what a scanner wrote to a Severity; anything unknown,
// including an empty string, is UNKNOWN.
func normalizeSeverity(s string) Severity {
	sev := Severity(strings.ToUpper(strings.TrimSpace(s)))
	if sev.Rank() < 0 {
		return Unknown
	}
	return sev
}
