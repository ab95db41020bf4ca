//go:build !linux

package vulndb

import "errors"

// exchange is not available: install falls back to two renames.
func exchange(a, b string) error {
	return errors.ErrUnsupported
}
