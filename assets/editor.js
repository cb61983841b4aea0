// Live length counters and post previews for the suggested copy of each network.
// The server measures (one rule per network, the same code as publishing uses), so the counter
// never disagrees with what will be accepted. Without JavaScript the counters shown at page
// load stay correct for the saved text.
(function () {
  "use strict";
  var form = document.querySelector("form.item-form, form.share-form");
  if (!form) { return; }
  var token = form.querySelector("input[name=csrf_token]");
  var timers = {};

  function isEmpty(measure) { return measure.used === 0 || measure.problem === "empty"; }

  // What the counter says: as the page's template says it (macros.html, `verdict`).
  function verdictOf(measure) {
    if (isEmpty(measure)) { return form.getAttribute("data-empty"); }
    if (measure.fits) { return form.getAttribute("data-fits"); }
    if (measure.problem === "invalid_character") { return form.getAttribute("data-invalid-character"); }
    if (measure.problem === "too_many_links") {
      return form.getAttribute("data-too-many-links").replace("{count}", measure.links ? measure.links[1] : "");
    }
    return form.getAttribute("data-over").replace("{count}", measure.over_by);
  }

  function update(area) {
    var network = area.getAttribute("data-measure");
    var counterId = area.getAttribute("data-counter-for");
    var counter = counterId ? document.getElementById(counterId) : document.querySelector("[data-counter='" + network + "']");
    // The share page asks for the advice too, by the same rules as on submit; both pages get
    // the post as its network shows it.
    var adviceUrl = form.getAttribute("data-advice-url");
    fetch(adviceUrl || "/api/v1/text/measure", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token ? token.value : "" },
      body: JSON.stringify({ network: network, text: area.value })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      var measure = answer && adviceUrl ? answer.measure : answer;
      if (answer && adviceUrl) {
        showAdvice(area, answer.advice);
        showPost(area, answer.display);
      }
      if (!measure || !counter) { return; }
      counter.querySelector(".used").textContent = measure.used;
      counter.querySelector(".limit").textContent = measure.limit;
      var verdict = counter.querySelector(".verdict");
      verdict.textContent = verdictOf(measure);
      counter.classList.toggle("over", !measure.fits && !isEmpty(measure));
      counter.setAttribute("data-used", measure.used);
    }).catch(function () { /* the counter keeps its last value */ });
  }

  // The post as its network shows it (links shortened, LinkedIn's fold), from the server.
  function showPost(area, display) {
    var figure = document.querySelector("[data-preview-for='" + area.id + "']");
    var body = figure ? figure.querySelector(".post-text") : null;
    if (!body || !display) { return; }
    body.textContent = "";
    display.segments.forEach(function (segment) {
      if (segment.kind === "link") {
        var link = document.createElement("span");
        link.className = "post-link";
        link.textContent = segment.shown;
        body.appendChild(link);
      } else {
        body.appendChild(document.createTextNode(segment.text));
      }
    });
    if (display.folded) {
      var more = document.createElement("span");
      more.className = "see-more";
      more.textContent = body.getAttribute("data-see-more");
      body.appendChild(more);
    }
  }

  function showAdvice(area, advice) {
    var box = area.closest("fieldset");
    var list = box ? box.querySelector("ul.advice") : null;
    if (!list || !advice) { return; }
    list.textContent = "";
    advice.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    list.hidden = advice.length === 0;
  }

  // The body and the "why it matters" card as the hub will show them, rendered by the server
  // with the same Markdown rules and sanitiser as the hub.
  var renderUrl = form.getAttribute("data-render-url");
  function render() {
    var body = form.querySelector("#body");
    var why = form.querySelector("#why");
    if (!renderUrl || !body || !why) { return; }
    fetch(renderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token ? token.value : "" },
      body: JSON.stringify({ body: body.value, why: why.value })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (!answer) { return; }
      var shownBody = document.querySelector("[data-rendered=body]");
      var shownWhy = document.querySelector("[data-rendered=why]");
      if (shownBody) { shownBody.innerHTML = answer.body_html; }
      if (shownWhy) { shownWhy.innerHTML = answer.why_html; }
    }).catch(function () { /* the preview keeps its last state */ });
  }
  ["#body", "#why"].forEach(function (selector) {
    var area = form.querySelector(selector);
    if (!area) { return; }
    area.addEventListener("input", function () {
      clearTimeout(timers.render);
      timers.render = setTimeout(render, 250);
    });
  });
  var title = form.querySelector("#title");
  var shownTitle = document.querySelector(".hub-preview-title");
  if (title && shownTitle) {
    title.addEventListener("input", function () { shownTitle.textContent = title.value; });
  }

  // The picture in each account's preview follows the image chosen (the item's, one's own
  // file read in the browser, or none); a post with a picture shows no link card.
  var fileInput = form.querySelector("#image_file");
  function showImage() {
    var chosen = form.querySelector("input[name=image]:checked");
    var value = chosen ? chosen.value : "none";
    function apply(src) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-post-image]"), function (img) {
        if (src) { img.src = src; } else { img.removeAttribute("src"); }
        img.hidden = !src;
        var card = img.parentNode.querySelector(".link-card");
        if (card) { card.hidden = !!src; }
      });
    }
    if (value.indexOf("item:") === 0) {
      apply("/media/" + value.slice(5));
    } else if (value === "own" && fileInput && fileInput.files && fileInput.files[0]) {
      var reader = new FileReader();
      reader.onload = function () { apply(reader.result); };
      reader.readAsDataURL(fileInput.files[0]);
    } else {
      apply(null);
    }
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=image]"), function (choice) {
    choice.addEventListener("change", showImage);
  });
  if (fileInput) { fileInput.addEventListener("change", showImage); }

  Array.prototype.forEach.call(form.querySelectorAll("textarea[data-measure]"), function (area) {
    area.addEventListener("input", function () {
      var key = area.id;
      clearTimeout(timers[key]);
      timers[key] = setTimeout(function () { update(area); }, 120);
    });
  });
})();
