package protocols

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// eventJSON is how an Event is stored (the transcript cache). A JSON string
// holds only valid UTF-8: encoding/json would turn a server's invalid bytes
// into U+FFFD, and a page built from the cache would then differ from the
// live one. Such a line is kept as base64 in TextBytes instead.
type eventJSON struct {
	Kind      Kind
	Text      string `json:",omitempty"`
	TextBytes string `json:",omitempty"` // base64 of Text when it is not valid UTF-8
	Source    int
	Payload   bool
	NoEOL     bool
	Pipelined bool `json:",omitempty"`
	LF        bool `json:",omitempty"`
}

// MarshalJSON keeps every byte of the line.
func (e Event) MarshalJSON() ([]byte, error) {
	j := eventJSON{Kind: e.Kind, Source: e.Source, Payload: e.Payload, NoEOL: e.NoEOL, Pipelined: e.Pipelined, LF: e.LF}
	if utf8.ValidString(e.Text) {
		j.Text = e.Text
	} else {
		j.TextBytes = base64.StdEncoding.EncodeToString([]byte(e.Text))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads both forms MarshalJSON writes.
func (e *Event) UnmarshalJSON(data []byte) error {
	var j eventJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*e = Event{Kind: j.Kind, Text: j.Text, Source: j.Source, Payload: j.Payload, NoEOL: j.NoEOL, Pipelined: j.Pipelined, LF: j.LF}
	if j.TextBytes != "" {
		raw, err := base64.StdEncoding.DecodeString(j.TextBytes)
		if err != nil {
			return err
		}
		e.Text = string(raw)
	}
	return nil
}
