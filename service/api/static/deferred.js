// Panels a dashboard draws after the rest of the page (service/dashboards/view.py DEFERRED: the
// early-warning forecasts). Each is fetched from this service (same origin: the sign-in cookie
// goes with it) and put in its section; a failed request is said in words in the panel.
(function () {
  function said(response, text) {
    var type = response.headers.get("content-type") || "";
    try {
      if (type.indexOf("json") >= 0) {
        var detail = JSON.parse(text).detail || {};
        return [detail.message, detail.hint].filter(Boolean).join(". ");
      }
      if (type.indexOf("html") >= 0) {
        var page = new DOMParser().parseFromString(text, "text/html");
        var found = page.querySelector("[data-error-message]") || page.querySelector("main");
        if (found) return found.textContent.replace(/\s+/g, " ").trim();
      }
    } catch (e) {}
    return "";
  }

  function failed(section, box, text) {
    var alert = document.createElement("div");
    alert.className = "nhsuk-error-summary nhskg-panel-error";
    alert.setAttribute("role", "alert");
    var title = document.createElement("h3");
    title.className = "nhsuk-error-summary__title";
    title.textContent = "This panel could not be shown";
    var body = document.createElement("div");
    body.className = "nhsuk-error-summary__body";
    var words = document.createElement("p");
    words.textContent = text;
    body.appendChild(words);
    alert.appendChild(title);
    alert.appendChild(body);
    box.replaceChildren(alert);
    section.removeAttribute("aria-busy");
    section.setAttribute("data-loaded", "error");
  }

  function load(section) {
    var box = section.querySelector("[data-panel-src]");
    if (!box) return;
    fetch(box.getAttribute("data-panel-src"), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) {
            var why = said(response, text);
            failed(section, box, "The service answered " + response.status +
              (why ? ": " + why : "") + ".");
            return;
          }
          section.innerHTML = text;
          section.removeAttribute("aria-busy");
          section.setAttribute("data-loaded", "true");
        });
      })
      .catch(function (error) {
        failed(section, box, "The service did not answer (" + error.message +
          "). Reload the page to try again.");
      });
  }

  function start() {
    document.querySelectorAll("section[data-deferred]").forEach(load);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
