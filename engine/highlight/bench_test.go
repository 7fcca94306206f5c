package highlight

import (
	"strings"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

// A large message (a 16 MiB session is the Wire's limit) must render in
// reasonable time: the lexer sees every line once.
func BenchmarkTranscriptLargeBody(b *testing.B) {
	events := []protocols.Event{ev(protocols.Server, "354 go ahead")}
	for range 20000 {
		events = append(events, payload(protocols.Client, strings.Repeat("lorem ipsum ", 6)))
	}
	events = append(events, ev(protocols.Client, "."), ev(protocols.Server, "250 ok"))
	b.ResetTimer()
	for range b.N {
		_ = Transcript(events, "smtp", TranscriptOptions{})
	}
}
