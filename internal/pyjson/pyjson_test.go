package pyjson

import "testing"

func TestAppendString(t *testing.T) {
	t.Parallel()
	// Each want is what Python 3's json.dumps(in) prints.
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain text ~", `"plain text ~"`},
		{`q"b\`, `"q\"b\\"`},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"a\x7fb", `"a\u007fb"`},
		{"é€", `"\u00e9\u20ac"`},
		{"\U0001F600", `"\ud83d\ude00"`},
		{"\xff", `"\ufffd"`}, // not a Python string at all: replaced, as Go decodes it
	}
	for _, tc := range tests {
		if got := string(AppendString(nil, tc.in)); got != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
