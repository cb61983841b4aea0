// "Copy my text": copies a share's text for a network's composer that may open empty. Without
// JavaScript (or clipboard access) the text stays selectable in its read-only box.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    button.addEventListener("click", function () {
      var area = document.getElementById(button.getAttribute("data-copy"));
      if (!area) { return; }
      var done = function () {
        button.textContent = button.getAttribute("data-copied");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(done, function () {
          area.select();
        });
      } else {
        area.select();
        if (document.execCommand && document.execCommand("copy")) { done(); }
      }
    });
  });
})();
