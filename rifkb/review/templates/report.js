// The evidence table: filter (words, design, screening) and sort (click a heading).
(function () {
  "use strict";
  var table = document.getElementById("evidence-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var words = document.getElementById("filter");
  var design = document.getElementById("design-filter");
  var screening = document.getElementById("screening-filter");
  var shown = document.getElementById("shown");

  function filter() {
    var wanted = words.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var text = (row.textContent + " " + row.getAttribute("data-search")).toLowerCase();
      var keep = wanted.every(function (w) { return text.indexOf(w) !== -1; }) &&
        (!design.value || row.getAttribute("data-design") === design.value) &&
        (!screening.value || row.getAttribute("data-screening") === screening.value);
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " studies shown";
  }
  [words, design, screening].forEach(function (control) {
    control.addEventListener("input", filter);
    control.addEventListener("change", filter);
  });

  function key(cell) {
    var value = cell.getAttribute("data-sort");
    return (value === null ? cell.textContent : value).trim();
  }
  function compare(a, b) {
    if (a === b) { return 0; }
    if (a === "") { return 1; }  // blanks last, either way
    if (b === "") { return -1; }
    var x = Number(a), y = Number(b);
    if (!isNaN(x) && !isNaN(y)) { return x - y; }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (head, column) {
    head.querySelector("button").addEventListener("click", function () {
      var ascending = head.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      head.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var keyed = Array.prototype.map.call(body.rows, function (row, i) {
        return { row: row, i: i, key: key(row.cells[column]) };
      });
      keyed.sort(function (p, q) {
        var blank = (p.key === "") - (q.key === "");
        var order = blank || (ascending ? 1 : -1) * compare(p.key, q.key);
        return order || p.i - q.i;
      });
      keyed.forEach(function (k) { body.appendChild(k.row); });
    });
  });
}());
