// Sign-in in the browser (service/api/routes/signin.py). The sign-in form keeps the token in this
// tab's sessionStorage (for GraphiQL, which sends it as an Authorization header) as it posts it
// to /signin (which sets the pages' HttpOnly cookie); a refused token and signing out remove it.
(function () {
  var KEY = "nhskg-token";

  window.nhskgToken = function () {
    try {
      return window.sessionStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  };

  function forget() {
    try {
      window.sessionStorage.removeItem(KEY);
    } catch (e) {}
  }

  function subjectOf(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var claims = JSON.parse(atob(part));
      return claims.sub + " (" + claims.role + ")";
    } catch (e) {
      return "a token";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("signin-form");
    if (form) {
      if (form.getAttribute("data-refused") === "true") forget();
      form.addEventListener("submit", function () {
        var field = document.getElementById("token");
        try {
          window.sessionStorage.setItem(KEY, field.value.trim());
        } catch (e) {}
      });
    }
    var signout = document.querySelectorAll("form.nhskg-signout");
    for (var i = 0; i < signout.length; i++) signout[i].addEventListener("submit", forget);
    // GraphiQL's bar: who this tab is signed in as, and a way out.
    var state = document.getElementById("nhskg-signin-state");
    var token = window.nhskgToken();
    if (state && token) {
      state.textContent = "Signed in as " + subjectOf(token) + ".";
      document.getElementById("nhskg-signin-link").hidden = true;
      var out = document.getElementById("nhskg-signout");
      out.hidden = false;
      out.addEventListener("click", function () {
        forget();
        fetch("/signout", { method: "POST" }).finally(function () {
          window.location.reload();
        });
      });
    }
  });
})();
