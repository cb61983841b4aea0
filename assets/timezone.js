// Time zones default from the browser: a time zone field left empty gets the zone the browser
// reports (Intl), so that times are shown and read in the person's own zone. Without
// JavaScript the field stays empty and the server keeps UTC until the person chooses.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-browser-time-zone]"), function (field) {
    if (field.value) { return; }
    if (field.tagName === "SELECT") {
      var known = Array.prototype.some.call(field.options, function (o) { return o.value === zone; });
      if (known) { field.value = zone; }
    } else {
      field.value = zone;
    }
  });
})();
