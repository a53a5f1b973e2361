// rifkb serve: keyboard shortcuts of the screening queue. Plain JS, no build, nothing
// loaded from elsewhere. j/k move between records, i includes, x excludes (then a digit
// picks a reason, or a typed reason and Enter), u sets back to unscreened, o opens; on a
// record's page, Esc closes a correction form.
(function () {
  "use strict";
  // Anywhere: Esc closes an open correction form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    Array.prototype.forEach.call(document.querySelectorAll("details[open]"), function (d) { d.open = false; });
  });
  if (document.body.dataset.keys !== "queue") return;
  var entries = Array.prototype.slice.call(document.querySelectorAll("article.entry"));
  if (!entries.length) return;
  var current = 0;

  function select(n, scroll) {
    current = Math.max(0, Math.min(entries.length - 1, n));
    entries.forEach(function (e, i) { e.classList.toggle("current", i === current); });
    if (scroll) entries[current].scrollIntoView({ block: "start", behavior: "instant" });
  }

  function form(name) { return entries[current].querySelector("form." + name); }

  function submit(f) {
    if (!f) return;
    var button = f.querySelector("button[type=submit]");
    if (button && button.disabled) return;
    if (f.requestSubmit) f.requestSubmit(); else f.submit();
  }

  function excluding() {
    var f = form("exclude");
    f.classList.add("active");
    f.querySelector("select").focus();
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.tagName === "SELECT" && target.name === "reason_choice") {
      var n = parseInt(event.key, 10);
      if (n >= 1 && n < target.options.length) {
        event.preventDefault();
        target.selectedIndex = n;
        submit(target.form);
      } else if (event.key === "Enter") {
        event.preventDefault();
        submit(target.form);
      } else if (event.key === "Escape") {
        target.form.classList.remove("active");
        target.blur();
      }
      return;
    }
    if (typing(target)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var actions = {
      j: function () { select(current + 1, true); },
      k: function () { select(current - 1, true); },
      i: function () { submit(form("include")); },
      x: excluding,
      u: function () { submit(form("reset")); },
      o: function () { entries[current].querySelector("a.open").click(); }
    };
    if (actions[event.key]) {
      event.preventDefault();
      actions[event.key]();
    }
  });

  entries.forEach(function (e, i) {
    e.addEventListener("focusin", function () { select(i, false); });
    e.addEventListener("click", function () { select(i, false); });
  });

  var wanted = /^#entry-(\d+)$/.exec(window.location.hash);
  select(wanted ? parseInt(wanted[1], 10) : 0, Boolean(wanted));
})();
