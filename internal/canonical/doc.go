// Package canonical writes JSON the one way distill's reports and
// attestations are written, so that equal content gives equal bytes.
package canonical
