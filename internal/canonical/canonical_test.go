package canonical

import "testing"

func TestJSONSortsKeysKeepsNumbersAndHTML(t *testing.T) {
	got, err := JSON(map[string]any{"b": 1.50, "a": map[string]any{"z": "<x>", "y": []int{2, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": {\n    \"y\": [\n      2,\n      1\n    ],\n    \"z\": \"<x>\"\n  },\n  \"b\": 1.5\n}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
