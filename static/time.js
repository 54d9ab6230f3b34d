// Times, enhanced: how long ago (or how soon), and the reader's own time when their zone is not
// the page's. Pages are complete without it: each time is written in the page's zone, named.
(function () {
  "use strict";
  var script = document.currentScript;
  var lang = document.documentElement.lang || "en";
  var pageZone = script ? script.getAttribute("data-timezone") : null;
  var localLabel = script ? script.getAttribute("data-local-label") || "" : "";
  var readerZone = null;
  try { readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  var relative = (typeof Intl.RelativeTimeFormat === "function")
    ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  var MONTH = 30 * 24 * 3600;
  var UNITS = [["day", 86400], ["hour", 3600], ["minute", 60]];

  function howLong(when, now) {
    var seconds = (when - now) / 1000;
    var size = Math.abs(seconds);
    if (!relative || size > MONTH) { return ""; }
    if (size < 45) { return relative.format(0, "second"); }
    for (var i = 0; i < UNITS.length; i += 1) {
      if (size >= UNITS[i][1] || UNITS[i][0] === "minute") {
        return relative.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
      }
    }
    return "";
  }

  function readerTime(when, dateOnly) {
    if (dateOnly || !pageZone || !readerZone || readerZone === pageZone) { return ""; }
    try {
      var text = new Intl.DateTimeFormat(lang, {
        day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit",
        timeZone: readerZone, timeZoneName: "short"
      }).format(when);
      return localLabel ? text + ", " + localLabel : text;
    } catch (e) { return ""; }
  }

  var now = Date.now();
  document.querySelectorAll("time[datetime]").forEach(function (element) {
    var stamp = element.getAttribute("datetime");
    if (stamp.indexOf("T") < 0) { return; }  // a day, not a time
    var when = new Date(stamp);
    if (isNaN(when.getTime())) { return; }
    var dateOnly = element.getAttribute("data-precision") === "date";
    var parts = [];
    var ago = dateOnly ? "" : howLong(when.getTime(), now);
    if (ago) { parts.push(ago); }
    var own = readerTime(when, dateOnly);
    if (own) { parts.push(own); }
    if (!parts.length) { return; }
    var extra = document.createElement("span");
    extra.className = "time-extra";
    extra.textContent = " (" + parts.join(" · ") + ")";
    element.parentNode.insertBefore(extra, element.nextSibling);
  });
})();
