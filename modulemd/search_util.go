package modulemd

import "unicode/utf8"

func decodeRune(s string) (rune, int) {
	r, w := utf8.DecodeRuneInString(s)
	if w == 0 {
		return utf8.RuneError, 0
	}
	return r, w
}

func charLen(s string) int {
	_, w := utf8.DecodeRuneInString(s)
	if w == 0 {
		return 1
	}
	return w
}
