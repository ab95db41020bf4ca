package canonical

import (
	"bytes"
	"encoding/json"
)

// JSON encodes v indented by two spaces, the keys of every object sorted, no
// HTML escaping, ending in a newline. It encodes v, decodes the result into
// maps (numbers kept exactly as written) and encodes those, which
// encoding/json writes in key order.
func JSON(v any) ([]byte, error) {
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
