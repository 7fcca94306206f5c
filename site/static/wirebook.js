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
