package sessiontest

import (
	"slices"
	"testing"

	"github.com/wirebook/wirebook/protocols"
)

func TestScriptMarksPipelinedLines(t *testing.T) {
	s := Script("a1 NOOP", "C+ a2 NOOP", "a3 LOGOUT")
	var got [][]string
	for {
		g := s.NextGroup()
		if len(g) == 0 {
			break
		}
		var texts []string
		for _, l := range g {
			texts = append(texts, l.Text)
		}
		got = append(got, texts)
	}
	want := [][]string{{"a1 NOOP", "a2 NOOP"}, {"a3 LOGOUT"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("groups = %q, want %q", got, want)
	}
}

func TestTranscriptFormat(t *testing.T) {
	events := []protocols.Event{
		{Kind: protocols.Client, Text: "GET / HTTP/1.1"},
		{Kind: protocols.Server, Text: "body", Payload: true, NoEOL: true},
		{Kind: protocols.Note, Text: "connection closed by the server"},
	}
	got := Transcript(events)
	want := []string{"C: GET / HTTP/1.1", "s: body (no line end)", "N: connection closed by the server"}
	if !slices.Equal(got, want) {
		t.Errorf("Transcript = %q, want %q", got, want)
	}
}
