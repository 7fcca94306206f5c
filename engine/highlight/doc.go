// Package highlight turns wire transcripts and fenced code into HTML with
// chroma CSS classes, and transcript lines into terminal text.
//
// Transcript text is the lab format: one line per event, "C: " a client
// line ("C+ " a pipelined one), "S: " a server line, "N: " a note. The
// transcript lexers (see Lexer) mark these token types, which the HTML
// formatter turns into chroma's short CSS class names:
//
//	prefix C: / C+                 GenericPrompt      gp
//	prefix S:                      GenericOutput      go
//	prefix N:                      CommentPreproc     cp
//	note text                      Comment            c
//	note starting with "error"     GenericError       gr
//	client command verb            Keyword            k
//	IMAP tag                       NameLabel          nl
//	IMAP untagged "*"              NameTag            nt
//	HTTP request target            NameNamespace      nn
//	HTTP version                   KeywordReserved    kr
//	HTTP header name, IMAP/POP3    NameAttribute      na
//	  response code [..], SMTP FROM:/TO:
//	quoted string, <address>       LiteralString      s
//	number, {literal} marker       LiteralNumber      m
//	IMAP \Flag                     NameBuiltin        nb
//
// Replies are coloured by outcome, one token type per class:
//
//	success: SMTP/HTTP 2xx, +OK, OK, PREAUTH           GenericInserted    gi
//	go on: SMTP 3xx, HTTP 1xx/3xx, "+" continuation    GenericSubheading  gu
//	transient: SMTP/HTTP 4xx, IMAP NO                  GenericTraceback   gt
//	failure: SMTP/HTTP 5xx, -ERR, IMAP BAD             GenericError       gr
//
// CSS gives these classes explicit colours inside .wb-transcript (both
// themes), so the meaning does not depend on the chroma style chosen.
//
// Everything a server sends is untrusted: HTML output is escaped, and
// control characters, invalid UTF-8 and bidirectional overrides are shown
// as visible escapes (\x1b, \xff, \u202e) in both HTML and terminal output.
package highlight
