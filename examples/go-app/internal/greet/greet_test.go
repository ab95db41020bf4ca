package greet

import (
	"slices"
	"testing"
)

func TestFor(t *testing.T) {
	for _, c := range []struct {
		accept   string
		language string
		message  string
	}{
		{"", "en", "Hello, world!"},
		{"en-US", "en", "Hello, world!"},
		{"fr-CH, fr;q=0.9, en;q=0.8", "fr", "Bonjour, le monde !"},
		{"de", "de", "Hallo, Welt!"},
		{"es-419", "es", "¡Hola, mundo!"},
		{"ja-JP", "ja", "こんにちは、世界！"},
		{"pt-BR", "pt", "Olá, mundo!"},
		{"sw, de;q=0.5", "de", "Hallo, Welt!"}, // first language it speaks
		{"sw", "en", "Hello, world!"},          // none it speaks
		{"not a language tag;;;", "en", "Hello, world!"},
	} {
		g := For(c.accept)
		if g.Language != c.language || g.Message != c.message {
			t.Errorf("For(%q) = %+v; want %s %q", c.accept, g, c.language, c.message)
		}
	}
}

func TestLanguages(t *testing.T) {
	got := Languages()
	if len(got) == 0 || got[0] != "en" {
		t.Fatalf("Languages() = %v; want English first", got)
	}
	for _, tag := range got {
		if g := For(tag); g.Language != tag {
			t.Errorf("For(%q) answered in %s", tag, g.Language)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
		t.Errorf("Languages() has duplicates: %v", got)
	}
}
