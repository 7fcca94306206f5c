// Package render turns labs and their session results into static HTML
// pages: goldmark for the Markdown, engine/highlight for transcripts and
// code, the templates of package site for the page around them.
package render

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/wirebook/wirebook/engine/highlight"
	"github.com/wirebook/wirebook/engine/lab"
	"github.com/wirebook/wirebook/site"
)

// blockRenderer renders fenced code blocks (session blocks from their
// results, the rest highlighted) and headings with anchors. Raw HTML in
// labs stays off: goldmark's default is safe and we keep it.
type blockRenderer struct {
	sessions map[int]*SessionView // by line of the opening fence
	lines    []int                // byte offsets of line starts
}

func (r *blockRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.renderFenced)
	reg.Register(ast.KindHeading, r.renderHeading)
}

func (r *blockRenderer) lineOf(off int) int {
	lo, hi := 0, len(r.lines)
	for lo < hi {
		m := (lo + hi) / 2
		if r.lines[m] > off {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (r *blockRenderer) renderFenced(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.FencedCodeBlock)
	if n.Info != nil {
		if s, ok := r.sessions[r.lineOf(n.Info.Segment.Start)]; ok {
			_, _ = w.WriteString(string(sessionHTML(s)))
			return ast.WalkSkipChildren, nil
		}
	}
	var code bytes.Buffer
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		code.Write(seg.Value(src))
	}
	lang := ""
	if n.Info != nil {
		lang = strings.Fields(string(n.Info.Segment.Value(src)) + " ")[0]
	}
	_, _ = w.WriteString(string(highlight.Code(lang, code.String())))
	return ast.WalkSkipChildren, nil
}

func (r *blockRenderer) renderHeading(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	if entering {
		id, _ := n.AttributeString("id")
		idStr := fmt.Sprint(string(asBytes(id)))
		fmt.Fprintf(w, "<h%d id=\"%s\">", n.Level, template.HTMLEscapeString(idStr))
		return ast.WalkContinue, nil
	}
	id, _ := n.AttributeString("id")
	fmt.Fprintf(w, " <a class=\"wb-anchor\" href=\"#%s\" aria-label=\"Link to this section\">#</a></h%d>\n",
		template.HTMLEscapeString(string(asBytes(id))), n.Level)
	return ast.WalkContinue, nil
}

func asBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// markdownResult is a rendered lab body and its table of contents.
type markdownResult struct {
	Body template.HTML
	TOC  []site.TOCEntry
}

// renderMarkdown renders src; doc is its syntax tree from
// lab.MarkdownParser when the lab's parse made one, else nil.
func renderMarkdown(src []byte, doc ast.Node, sessions map[int]*SessionView) (markdownResult, error) {
	lines := make([]int, 1, len(src)/32+1)
	for i, c := range src {
		if c == '\n' {
			lines = append(lines, i+1)
		}
	}
	br := &blockRenderer{sessions: sessions, lines: lines}
	// The renderer alone, not goldmark.New (which builds a parser each
	// time): the block renderer is per page, the rest is goldmark's.
	r := renderer.NewRenderer(renderer.WithNodeRenderers(
		util.Prioritized(html.NewRenderer(), 1000),
		util.Prioritized(extension.NewTableHTMLRenderer(), 500),
		util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500),
		util.Prioritized(br, 100),
	), html.WithXHTML())
	if doc == nil {
		doc = lab.MarkdownParser().Parse(text.NewReader(src))
	}
	var toc []site.TOCEntry
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok || h.Level < 2 || h.Level > 3 {
			return ast.WalkContinue, nil
		}
		id, _ := h.AttributeString("id")
		toc = append(toc, site.TOCEntry{Level: h.Level, ID: string(asBytes(id)), Text: headingText(h, src)})
		return ast.WalkContinue, nil
	})
	buf := getBuffer()
	defer putBuffer(buf)
	if err := r.Render(buf, src, doc); err != nil {
		return markdownResult{}, err
	}
	return markdownResult{Body: template.HTML(buf.String()), TOC: toc}, nil
}

// Page-sized buffers are reused: a page is rendered into one and copied
// out, and growing a new one for each page was a fifth of a build's
// allocation.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 4<<20 {
		return // one huge page does not pin its buffer for the rest of the build
	}
	b.Reset()
	buffers.Put(b)
}

func headingText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
		case *ast.String:
			b.Write(t.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// firstHeading finds the first level-1 heading's text, for a lab without a
// title in its front matter.
func firstHeading(src []byte) string {
	doc := goldmark.New().Parser().Parse(text.NewReader(src))
	var title string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == 1 && title == "" {
			title = headingText(h, src)
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return title
}
