// Package greet says hello in the language a client asks for, matched with
// golang.org/x/text/language the way an Accept-Language header should be.
package greet

import (
	"golang.org/x/text/language"
)

// Greeting is what the service answers.
type Greeting struct {
	Message  string `json:"message"`
	Language string `json:"language"` // BCP 47 tag of the language answered in
}

// greetings are the languages the service speaks; the first is the fallback.
var greetings = []struct {
	tag     language.Tag
	message string
}{
	{language.English, "Hello, world!"},
	{language.French, "Bonjour, le monde !"},
	{language.German, "Hallo, Welt!"},
	{language.Spanish, "¡Hola, mundo!"},
	{language.Japanese, "こんにちは、世界！"},
	{language.Portuguese, "Olá, mundo!"},
}

var matcher = language.NewMatcher(func() []language.Tag {
	tags := make([]language.Tag, len(greetings))
	for i, g := range greetings {
		tags[i] = g.tag
	}
	return tags
}())

// For returns the greeting that best matches accept, an Accept-Language value such
// as "fr-CH, fr;q=0.9, en;q=0.8". An empty or malformed value, or one naming only
// languages the service does not speak, gets English.
func For(accept string) Greeting {
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		tags = []language.Tag{language.English}
	}
	_, i, confidence := matcher.Match(tags...)
	if confidence == language.No {
		i = 0
	}
	g := greetings[i]
	return Greeting{Message: g.message, Language: g.tag.String()}
}

// Languages lists the tags the service speaks, fallback first.
func Languages() []string {
	out := make([]string, len(greetings))
	for i, g := range greetings {
		out[i] = g.tag.String()
	}
	return out
}
