package lab

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// checkText reports a file that is not UTF-8 text: the first byte that is
// not UTF-8 and the first NUL, each at its line and column. Goldmark would
// render either into a page that is not valid HTML text.
func checkText(path string, src []byte) ErrorList {
	var errs ErrorList
	valid := utf8.Valid(src)
	at := func(off int) (line, col int) {
		line = 1 + bytes.Count(src[:off], []byte("\n"))
		return line, off - (bytes.LastIndexByte(src[:off], '\n') + 1) + 1
	}
	// utf8.Valid is the fast check; the rune walk finds where it fails.
	for off := 0; off < len(src) && !valid; {
		r, size := utf8.DecodeRune(src[off:])
		if r == utf8.RuneError && size == 1 {
			line, col := at(off)
			errs = append(errs, &Error{File: path, Line: line, Msg: fmt.Sprintf("not UTF-8 text: byte 0x%02x at column %d (a lab must be a UTF-8 Markdown file)", src[off], col)})
			break
		}
		off += size
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		line, col := at(i)
		errs = append(errs, &Error{File: path, Line: line, Msg: fmt.Sprintf("a NUL byte at column %d: a lab must be text (write \\0 inside ${base64:...} to send one)", col)})
	}
	if len(errs) == 2 && errs[1].Line < errs[0].Line {
		errs[0], errs[1] = errs[1], errs[0]
	}
	return errs
}

// Empty reports whether the lab has nothing but blank lines after its front
// matter: it builds a blank page, which is almost surely a mistake.
func (l *Lab) Empty() bool {
	return len(bytes.TrimSpace(l.Markdown)) == 0
}
