(function () {
  "use strict";
  // synloom sample explorer: filter the rows of #explorer by label and words, sort them by a
  // column. Rows are in the page already; this only hides and reorders them. The view is kept
  // in the URL fragment (#samples?label=L&q=WORDS&sort=KEY or -KEY) so a view can be linked.
  var root = document.getElementById("explorer");
  if (!root) return;
  var body = root.querySelector("tbody");
  var rows = Array.prototype.slice.call(body.rows);
  var haystack = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var index = new Map(rows.map(function (r, i) { return [r, i]; }));
  var labelBox = root.querySelector("select[name=label]");
  var searchBox = root.querySelector("input[name=q]");
  var count = root.querySelector(".ex-count");
  var buttons = Array.prototype.slice.call(root.querySelectorAll("th button[data-key]"));
  var keys = buttons.map(function (b) { return b.getAttribute("data-key"); });
  var state = { label: "", q: "", sort: "" };
  var PREFIX = "#samples?";

  function fromHash() {
    if (location.hash.indexOf(PREFIX) !== 0) return false;
    var p = new URLSearchParams(location.hash.slice(PREFIX.length));
    state.label = p.get("label") || "";
    state.q = p.get("q") || "";
    var sort = p.get("sort") || "";
    state.sort = keys.indexOf(sort.replace(/^-/, "")) >= 0 ? sort : "";
    return true;
  }

  function toHash() {
    var p = new URLSearchParams();
    if (state.label) p.set("label", state.label);
    if (state.q) p.set("q", state.q);
    if (state.sort) p.set("sort", state.sort);
    try { history.replaceState(null, "", PREFIX + p.toString()); } catch (e) { /* file: URLs */ }
  }

  function value(row, key) {
    var v = row.getAttribute("data-" + key);
    if (v === null || v === "") return null;
    var n = Number(v);
    return isNaN(n) ? null : n;
  }

  function compare(key, desc) {
    return function (a, b) {
      var x = value(a, key), y = value(b, key);
      if (x === null || y === null) {  // rows without a value go last either way
        if (x !== y) return x === null ? 1 : -1;
      } else if (x !== y) {
        return desc ? (x < y ? 1 : -1) : (x < y ? -1 : 1);
      }
      return index.get(a) - index.get(b);
    };
  }

  function apply() {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row, i) {
      var ok = (!state.label || row.getAttribute("data-label") === state.label) &&
        words.every(function (w) { return haystack[i].indexOf(w) >= 0; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    var desc = state.sort.charAt(0) === "-";
    var key = desc ? state.sort.slice(1) : state.sort;
    var order = rows.slice();
    if (key) order.sort(compare(key, desc));
    var frag = document.createDocumentFragment();
    order.forEach(function (row) { frag.appendChild(row); });
    body.appendChild(frag);
    buttons.forEach(function (b) {
      var k = b.getAttribute("data-key");
      var th = b.parentNode;
      if (k === key) th.setAttribute("aria-sort", desc ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    count.textContent = shown + " of " + rows.length + " rows shown";
    root.setAttribute("data-shown", String(shown));
    labelBox.value = state.label;
    searchBox.value = state.q;
  }

  labelBox.addEventListener("change", function () { state.label = labelBox.value; apply(); toHash(); });
  searchBox.addEventListener("input", function () { state.q = searchBox.value; apply(); toHash(); });
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      var k = b.getAttribute("data-key");
      state.sort = state.sort === k ? "-" + k : state.sort === "-" + k ? "" : k;
      apply();
      toHash();
    });
  });
  window.addEventListener("hashchange", function () { if (fromHash()) apply(); });

  root.querySelector(".ex-controls").hidden = false;
  fromHash();
  apply();
  root.setAttribute("data-ready", "1");
})();
