//go:build browser

package browsertest

import (
	"strings"
	"testing"
)

// pageChecks are the accessibility, colour and diagram checks made in the
// page: each problem is a sentence, so a failure says what and where.
type pageChecks struct {
	Problems   []string `json:"problems"`
	Diagrams   int      `json:"diagrams"`
	Groups     int      `json:"groups"`     // pipelined groups drawn
	GroupOK    int      `json:"groupOK"`    // groups whose replies all come after the group
	TLSMarks   int      `json:"tlsMarks"`   // TLS marks right after a STARTTLS reply, lifelines thick after
	HTTPOK     int      `json:"httpOK"`     // 2xx status lines looked at
	NegLines   int      `json:"negLines"`   // refusal lines looked at
	Contrasted int      `json:"contrasted"` // transcript text elements whose contrast was computed
}

// checksJS is run in every page at every viewport. Contrast is computed
// with WCAG's formula against the first opaque background up the tree.
const checksJS = `(() => {
  const problems = [];
  const q = (s, r) => Array.from((r || document).querySelectorAll(s));
  const rgb = c => { const m = c.match(/rgba?\(([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+))?/); return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const bgOf = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c && c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const isRed = c => { const [r, g, b] = c.map(v => v / 255); const mx = Math.max(r, g, b), mn = Math.min(r, g, b); if (mx - mn < 0.25 || mx !== r) return false; let h = 60 * (((g - b) / (mx - mn)) % 6); if (h < 0) h += 360; return h < 15 || h > 340; };
  const where = el => { const f = el.closest('figure.wb-session'); const i = f ? q('figure.wb-session').indexOf(f) : -1; return 'session ' + (i + 1) + ' "' + el.textContent.trim().slice(0, 40) + '"'; };

  // Landmarks and names.
  if (!document.documentElement.lang) problems.push('<html> has no lang');
  if (q('main').length !== 1) problems.push(q('main').length + ' <main> landmarks, want 1');
  if (document.body.classList.contains('wb-lab') && q('nav').length === 0) problems.push('lab page without a nav landmark');
  for (const img of q('img')) if (!img.hasAttribute('alt')) problems.push('img without alt: ' + img.src);
  for (const svg of q('svg')) if (!svg.getAttribute('aria-label') && !svg.querySelector(':scope > title')) problems.push('svg without aria-label or title');

  // Diagrams: one per session transcript, arrows in transcript order and
  // of the transcript line's kind, each with a title.
  let diagrams = 0, groups = 0, groupOK = 0, tls = 0;
  const lineKind = {command: 'wb-c', body: 'wb-c', reply: 'wb-s', untagged: 'wb-s', open: 'wb-n', tls: 'wb-n', close: 'wb-n', error: 'wb-n', note: 'wb-n'};
  for (const fig of q('figure.wb-session')) {
    const pre = fig.querySelector('pre.wb-transcript:not(.wb-repl)');
    if (!pre) continue;
    const svgs = q('svg.wb-diagram-svg', fig);
    const lines = q('.wb-line', pre);
    if (lines.length === 0) continue;
    if (svgs.length !== 1) { problems.push(where(pre) + ': ' + svgs.length + ' diagrams, want 1'); continue; }
    diagrams++;
    let last = -1;
    const units = q('g[data-ev]', svgs[0]);
    for (const g of units) {
      const ev = +g.dataset.ev, kind = g.dataset.kind;
      if (ev <= last) problems.push(where(pre) + ': arrow for line ' + ev + ' after line ' + last);
      last = ev;
      if (!lines[ev] || !lines[ev].classList.contains(lineKind[kind])) problems.push(where(pre) + ': ' + kind + ' arrow at line ' + ev + ' is not on a ' + lineKind[kind] + ' line');
      if (!g.querySelector(':scope > title') || !g.querySelector(':scope > title').textContent) problems.push(where(pre) + ': arrow without a title');
      if (kind === 'tls') {
        const prev = units[units.indexOf(g) - 1], cmd = prev && units.find(u => u.dataset.seq === prev.dataset.answers);
        if (cmd && /STARTTLS|STLS/i.test(cmd.textContent) && q('.wb-d-secure', svgs[0]).length > 0) tls++;
      }
    }
    for (const grp of q('.wb-d-group', svgs[0])) {
      groups++;
      const from = +grp.dataset.from, to = +grp.dataset.to;
      const cmds = units.filter(u => u.dataset.kind === 'command' && +u.dataset.seq >= from && +u.dataset.seq <= to);
      const lastCmd = units.indexOf(cmds[cmds.length - 1]);
      const replies = units.filter(u => +u.dataset.answers >= from && +u.dataset.answers <= to && u.dataset.kind === 'reply');
      if (cmds.length === to - from + 1 && cmds.every(c => c.classList.contains('wb-d-pipelined') || +c.dataset.seq === from) &&
          replies.length === cmds.length && replies.every(r => units.indexOf(r) > lastCmd)) groupOK++;
    }
  }

  // Colours: red only for failures; a refusal line marked whole.
  let httpOK = 0, neg = 0;
  for (const line of q('.wb-transcript .wb-line.wb-s')) {
    const text = line.querySelector('.wb-text').textContent;
    if (/^HTTP\/\d(\.\d)? [23]\d\d/.test(text)) {
      httpOK++;
      for (const el of [line, ...q('*', line)]) if (isRed(rgb(getComputedStyle(el).color))) problems.push(where(line) + ': red on a ' + text.slice(9, 12) + ' response');
    }
    if (/^(5\d\d[ -]|-ERR|\S+ (NO|BAD) )/.test(text) && !line.classList.contains('wb-p')) {
      neg++;
      const want = getComputedStyle(line.querySelector('.wb-text')).color;
      for (const el of q('.wb-text, .wb-text *', line)) if (getComputedStyle(el).color !== want) problems.push(where(line) + ': only part of a refusal line is marked');
      if (!line.classList.contains('wb-neg')) problems.push(where(line) + ': refusal line not marked');
    }
  }

  // Contrast (WCAG AA, 4.5:1) of transcript text, status lines and diagram labels.
  let contrasted = 0;
  const texts = q('.wb-transcript .wb-gutter, .wb-transcript .wb-text, .wb-transcript .wb-text span, .wb-badge span, .wb-payload > summary, .wb-diagram > summary, .wb-lab-count, .wb-status');
  for (const el of texts.slice(0, 3000)) {
    if (!el.textContent.trim() || el.getClientRects().length === 0 || el.classList.contains('wb-badge-detail')) continue;
    const c = rgb(getComputedStyle(el).color), b = bgOf(el);
    contrasted++;
    const r = ratio(c, b);
    if (r < 4.5) problems.push(where(el) + ': contrast ' + r.toFixed(2) + ' (' + getComputedStyle(el).color + ' on rgb(' + b.slice(0, 3) + ')), want 4.5');
  }
  return {problems: Array.from(new Set(problems)).slice(0, 20), diagrams, groups, groupOK, tlsMarks: tls, httpOK, negLines: neg, contrasted};
})()`

func checkPageChecks(t *testing.T, vp viewport, page string, c pageChecks) {
	t.Helper()
	for _, p := range c.Problems {
		t.Errorf("%s", p)
	}
	if page == "index.html" {
		return
	}
	if c.Contrasted == 0 {
		t.Errorf("no text's contrast was computed")
	}
	// The pages the issue names must have what is checked, or the checks
	// above pass for want of content.
	switch {
	case strings.Contains(page, "imap"):
		if c.Groups == 0 || c.GroupOK != c.Groups {
			t.Errorf("IMAP page: %d pipelined groups drawn, %d with their commands together and every reply after them", c.Groups, c.GroupOK)
		}
	case strings.Contains(page, "smtp"):
		if c.TLSMarks == 0 {
			t.Errorf("SMTP page: no TLS mark after a STARTTLS reply with secure lifelines after it")
		}
		if c.NegLines == 0 {
			t.Errorf("SMTP page: no refusal line looked at")
		}
	case strings.Contains(page, "http"):
		if c.HTTPOK == 0 {
			t.Errorf("HTTP page: no 2xx status line looked at")
		}
	}
	if c.Diagrams == 0 && !strings.Contains(page, "python") {
		t.Errorf("no sequence diagram")
	}
}

// navFacts are the course sidebar and the search as a reader finds them.
type navFacts struct {
	Nav         bool     `json:"nav"`
	Links       []string `json:"links"`
	Current     []string `json:"current"`
	Statuses    int      `json:"statuses"`
	FoldOpen    bool     `json:"foldOpen"`
	Hits        []string `json:"hits"`
	FirstBottom float64  `json:"firstBottom"`
	InnerHeight float64  `json:"innerHeight"`
}

// searchWord is in the IMAP lab's pipelined transcript (a tag) and
// nowhere else in the course.
const searchWord = "A0005"

// navJS waits for the sidebar (course.js is loaded by script), then types
// searchWord into the search box and waits for the results.
const navJS = `(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const wait = async f => { for (let i = 0; i < 100; i++) { if (f()) return true; await sleep(50); } return false; };
  const first = document.querySelector('.wb-index-nav a, .wb-lab-list a');
  const r = first ? first.getBoundingClientRect() : null;
  const nav = document.getElementById('wb-course');
  if (!nav) return {nav: false, firstBottom: r ? r.bottom : -1, innerHeight: innerHeight};
  // Without scripts (timers do not run either) the sidebar is its link.
  if (nav.querySelector('form.wb-search').hidden) return {nav: true, firstBottom: r ? r.bottom : -1, innerHeight: innerHeight};
  await wait(() => nav.querySelectorAll('.wb-course-list a').length > 0);
  const links = Array.from(nav.querySelectorAll('.wb-course-list a'));
  const input = nav.querySelector('input[type=search]');
  let hits = [];
  if (input && !nav.querySelector('form').hidden) {
    input.value = '` + searchWord + `';
    input.dispatchEvent(new Event('input'));
    await wait(() => nav.querySelector('.wb-search-count'));
    hits = Array.from(nav.querySelectorAll('.wb-search-results a')).map(a => a.getAttribute('href'));
    input.value = '';
    input.dispatchEvent(new Event('input'));
  }
  return {
    nav: true,
    links: links.map(a => a.getAttribute('href')),
    current: links.filter(a => a.getAttribute('aria-current') === 'page').map(a => a.getAttribute('href')),
    statuses: nav.querySelectorAll('.wb-course-list .wb-status').length,
    foldOpen: nav.querySelector('details').open,
    hits: hits,
    firstBottom: r ? r.bottom : -1,
    innerHeight: innerHeight,
  };
})()`

func checkNav(t *testing.T, vp viewport, page string, labPages []string, n navFacts) {
	t.Helper()
	if page == "index.html" && vp.mobile && (n.FirstBottom < 0 || n.FirstBottom > n.InnerHeight) {
		t.Errorf("phone: the first lab link ends at %.0f px, below the first screen (%.0f px)", n.FirstBottom, n.InnerHeight)
	}
	if !n.Nav {
		t.Errorf("no course sidebar (nav#wb-course)")
		return
	}
	if !vp.scripts {
		return
	}
	if strings.Join(n.Links, " ") != strings.Join(labPages, " ") {
		t.Errorf("sidebar lists %v, want every lab %v", n.Links, labPages)
	}
	if n.Statuses != len(labPages) {
		t.Errorf("sidebar shows %d statuses for %d labs", n.Statuses, len(labPages))
	}
	wantCurrent := ""
	if page != "index.html" {
		wantCurrent = page
	}
	if strings.Join(n.Current, " ") != wantCurrent {
		t.Errorf("sidebar marks %v as the current lab, want %q", n.Current, wantCurrent)
	}
	if n.FoldOpen == vp.mobile {
		t.Errorf("sidebar open=%v at %d px: want it folded on a phone and open on a wide screen", n.FoldOpen, vp.width)
	}
	if strings.Join(n.Hits, " ") != "04-imap.html" {
		t.Errorf("searching %q finds %v, want the IMAP lab", searchWord, n.Hits)
	}
}
