package attest

import (
	"bytes"
	"encoding/json"
	"errors"

	canonicaljson "github.com/distill-dev/distill/internal/canonical"
)

// canonical encodes v the way every output of this package is written (see
// canonical.JSON).
func canonical(v any) ([]byte, error) { return canonicaljson.JSON(v) }

// jsonObject checks that data is one JSON object and returns it, without
// surrounding white space, for embedding in another document.
func jsonObject(data []byte) (json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' || !json.Valid(data) {
		return nil, errors.New("not a JSON object")
	}
	return json.RawMessage(data), nil
}
