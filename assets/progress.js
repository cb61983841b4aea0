// Follows the shares just sent through the person's accounts: every second and a half, asks
// how they are, and shows the state, "view your post" once live, or what to do if something
// went wrong. Stops when none is on its way (or after two minutes). Without JavaScript the
// page shows the state at load and the history has the rest.
(function () {
  "use strict";
  var section = document.querySelector("section.progress[data-status-url]");
  if (!section) { return; }
  var url = section.getAttribute("data-status-url");
  var deadline = Date.now() + 120000;

  function show(share) {
    var card = section.querySelector("[data-share='" + share.id + "']");
    if (!card) { return; }
    card.setAttribute("data-state", share.state);
    card.setAttribute("data-on-its-way", share.on_its_way ? "true" : "false");
    var badge = card.querySelector("[data-state-label]");
    badge.textContent = share.state_label;
    badge.className = "badge state-" + share.state;
    card.querySelector("[data-working]").hidden = !share.on_its_way;
    var message = card.querySelector("[data-message]");
    message.textContent = share.message || "";
    message.hidden = !share.message;
    message.className = share.held ? "hint held" : "error";
    var live = card.querySelector("[data-live]");
    if (share.url) { live.querySelector("[data-view-post]").href = share.url; }
    live.hidden = !share.url;
  }

  function poll() {
    if (!section.querySelector("[data-on-its-way='true']") || Date.now() > deadline) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer) { answer.shares.forEach(show); }
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
