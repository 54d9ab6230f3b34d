/* Status banner: <script src="{{ config.BASE_URL }}/embed.js" async></script>
   puts an iframe where the script stands, or in the element with id "statuspage-embed".
   The banner tells its height (postMessage); only messages from its own frame and origin count. */
(function () {
  "use strict";
  var origin = {{ origin|tojson }};
  var script = document.currentScript;
  var frame = document.createElement("iframe");
  frame.src = {{ src|tojson }} + "?lang=" + encodeURIComponent((document.documentElement.lang || {{ config.DEFAULT_LANGUAGE|tojson }}).slice(0, 2));
  frame.title = {{ config.SITE_NAME|tojson }};
  frame.style.cssText = "border:0;width:100%;height:3.2em;display:block;overflow:hidden";
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) { return; }
    var height = event.data && event.data.statuspageEmbedHeight;
    if (typeof height !== "number" || !isFinite(height)) { return; }
    frame.style.height = Math.max(16, Math.min(Math.ceil(height), 4000)) + "px";
  });
  var target = document.getElementById("statuspage-embed");
  if (target) { target.appendChild(frame); }
  else if (script && script.parentNode) { script.parentNode.insertBefore(frame, script); }
})();
