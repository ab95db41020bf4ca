package attest

import (
	"bytes"
	"encoding/json"
	"errors"
)

// canonical encodes v the way every output of this package is written:
// indented by two spaces, the keys of every object sorted, no HTML escaping,
// ending in a newline. It encodes v, decodes the result into maps (numbers
// kept exactly as written) and encodes those, which encoding/json writes in
// key order.
func canonical(v any) ([]byte, error) {
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

// jsonObject checks that data is one JSON object and returns it, without
// surrounding white space, for embedding in another document.
func jsonObject(data []byte) (json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' || !json.Valid(data) {
		return nil, errors.New("not a JSON object")
	}
	return json.RawMessage(data), nil
}
