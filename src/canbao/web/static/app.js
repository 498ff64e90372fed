/* canbao web UI: what every page shares. Charts: an element with class "chart" and its
   ECharts option as JSON in data-chart (the page loads /static/vendor/echarts.min.js).
   Tables with class "sortable": a click on a header sorts the rows of this page (numbers
   as numbers, the rest in Chinese collation); the server pages them (?offset=&limit=). */
"use strict";

function initCharts(root) {
  if (typeof echarts === "undefined") return;
  root.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(JSON.parse(el.dataset.chart));
    window.addEventListener("resize", function () { chart.resize(); });
  });
}

function cellValue(row, index) {
  var cell = row.cells[index];
  var text = cell ? (cell.dataset.sort || cell.textContent).trim() : "";
  var number = Number(text.replace(/,/g, "").replace(/%$/, ""));
  return text !== "" && !isNaN(number) ? number : text;
}

function initSortable(root) {
  root.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (other) {
          other.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          var order = typeof x === "number" && typeof y === "number"
            ? x - y : String(x).localeCompare(String(y), "zh-CN");
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
}

function init(root) {
  initCharts(root);
  initSortable(root);
}

document.addEventListener("DOMContentLoaded", function () { init(document); });
document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
