/* Inside the /embed iframe: tells the page around it how tall the banner is, whenever that
   changes (more incidents, a narrower frame), so that embed.js sizes the iframe to fit. */
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = -1;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) { return; }
    last = height;
    window.parent.postMessage({ statuspageEmbedHeight: height }, "*");
  }
  if (window.ResizeObserver) { new ResizeObserver(send).observe(document.body); }
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  send();
})();
