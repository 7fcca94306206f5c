// wirebook pages are complete without this script; it only adds the
// "copy client lines" buttons, which stay hidden when scripts do not run.
(function () {
  "use strict";

  // The client lines of a session, as typed: text only, the C: gutters
  // are drawn by CSS and carry no text.
  function clientLines(session) {
    var lines = session.querySelectorAll(".wb-transcript .wb-c .wb-text");
    var out = [];
    for (var i = 0; i < lines.length; i++) {
      out.push(lines[i].textContent.replace(/\n$/, ""));
    }
    return out.join("\n") + "\n";
  }

  function flash(button, text) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = text;
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  function setUp(button) {
    var session = button.closest(".wb-session");
    if (!session || !session.querySelector(".wb-c") || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(clientLines(session)).then(
        function () { flash(button, "Copied"); },
        function () { flash(button, "Copy failed"); }
      );
    });
  }

  var buttons = document.querySelectorAll("button.wb-copy");
  for (var i = 0; i < buttons.length; i++) {
    setUp(buttons[i]);
  }

  // Print folded message bodies too, then fold them again.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    var closed = document.querySelectorAll("details:not([open])");
    for (var i = 0; i < closed.length; i++) {
      closed[i].open = true;
      opened.push(closed[i]);
    }
  });
  window.addEventListener("afterprint", function () {
    while (opened.length) {
      opened.pop().open = false;
    }
  });
})();

// The course sidebar and search. Pages work without it: each has a link to
// the course index. assets/course.js (the labs and their statuses) and
// assets/search.js (each page's words) are written once per build, as
// scripts rather than JSON so they load from file:// too, where fetch()
// is refused. No library: a word index is all the search needs.
(function () {
  "use strict";
  var nav = document.getElementById("wb-course");
  if (!nav) { return; }
  var base = nav.getAttribute("data-base") || "";
  var here = location.pathname.split("/").pop() || "index.html";
  var statusText = {verified: "verified", failed: "failed", unverified: "not verified"};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function sidebar(labs) {
    var list = nav.querySelector(".wb-course-list");
    if (!list || list.children.length) { return; }
    labs.forEach(function (lab) {
      var li = el("li");
      var a = el("a", null, lab.t);
      a.href = base + lab.h;
      if (lab.h === here) { a.setAttribute("aria-current", "page"); li.className = "wb-current"; }
      var st = el("span", "wb-status wb-status-" + lab.s, statusText[lab.s] || lab.s);
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(st);
      list.appendChild(li);
    });
  }

  // Wide screens show the sidebar open; phones keep it folded.
  var fold = nav.querySelector("details");
  if (fold && window.matchMedia && window.matchMedia("(min-width: 64rem)").matches) { fold.open = true; }

  function load(src, done) {
    var s = document.createElement("script");
    s.src = base + "assets/" + src;
    s.onload = done;
    document.head.appendChild(s);
  }
  load("course.js", function () { if (window.WIREBOOK_COURSE) { sidebar(window.WIREBOOK_COURSE.labs); } });

  // Search: every query word must start a word of the page (prose and
  // transcripts); results in course order.
  var form = nav.querySelector("form.wb-search");
  if (!form) { return; }
  form.hidden = false;
  var input = form.querySelector("input");
  var out = form.querySelector(".wb-search-results");
  var index = null, waiting = false;
  function words(s) { return s.toLowerCase().split(/[^\p{L}\p{N}@._-]+/u).filter(function (w) { return w.length > 0; }); }
  function run() {
    out.textContent = "";
    var q = words(input.value);
    if (!q.length) { return; }
    if (!index) {
      if (!waiting) { waiting = true; load("search.js", function () { index = window.WIREBOOK_SEARCH || []; run(); }); }
      return;
    }
    var hits = index.filter(function (page) {
      return q.every(function (w) { return page.w.indexOf(" " + w) >= 0; });
    });
    var status = el("p", "wb-search-count", hits.length === 1 ? "1 lab" : hits.length + " labs");
    out.appendChild(status);
    var ul = el("ul");
    hits.forEach(function (page) {
      var li = el("li");
      var a = el("a", null, page.t);
      a.href = base + page.h;
      li.appendChild(a);
      ul.appendChild(li);
    });
    out.appendChild(ul);
  }
  input.addEventListener("input", run);
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
})();
