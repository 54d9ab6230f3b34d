/* Status banner: <script src="{{ config.BASE_URL }}/embed.js" async></script>
   puts an iframe where the script stands, or in the element with id "statuspage-embed". */
(function () {
  "use strict";
  var script = document.currentScript;
  var frame = document.createElement("iframe");
  frame.src = "{{ src }}?lang=" + encodeURIComponent((document.documentElement.lang || "{{ config.DEFAULT_LANGUAGE }}").slice(0, 2));
  frame.title = "{{ config.SITE_NAME }}";
  frame.style.cssText = "border:0;width:100%;height:3.2em;display:block";
  var target = document.getElementById("statuspage-embed");
  if (target) { target.appendChild(frame); }
  else if (script && script.parentNode) { script.parentNode.insertBefore(frame, script); }
})();
