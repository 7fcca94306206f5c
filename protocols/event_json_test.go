package protocols

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every byte a server sent survives the cache's JSON, invalid UTF-8 and
// control bytes included; valid text stays readable in the file.
func TestEventJSONKeepsEveryByte(t *testing.T) {
	for _, e := range []Event{
		{Kind: Server, Text: "250 ok"},
		{Kind: Server, Text: "250 caf\xe9 \xff\xfe\x00\x1b[31m", Payload: true, LF: true},
		{Kind: Client, Text: "a1 LOGIN ☃", Source: 7, Pipelined: true},
		{Kind: Note, Text: "", NoEOL: true},
	} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if back != e {
			t.Errorf("round trip of %q gave %q (%s)", e.Text, back.Text, data)
		}
		if strings.Contains(string(data), `\ufffd`) || strings.Contains(string(data), "\ufffd") {
			t.Errorf("%s: replacement character stored", data)
		}
	}
	// Entries written before TextBytes existed still load.
	var old Event
	if err := json.Unmarshal([]byte(`{"Kind":1,"Text":"220 hi","Source":0,"Payload":false,"NoEOL":false}`), &old); err != nil || old.Text != "220 hi" {
		t.Errorf("old form: %v %+v", err, old)
	}
}
