// The dashboard's login (docs/dashboard.md): when the collector asks for a
// token (a 401), a form takes one read token, kept in this tab's
// sessionStorage (gone when the tab closes) and sent on every API request
// (dom.js getJSON). A refused token shows the form again with the reason.
import { h, token } from "./dom.js";

function form(reason) {
  const input = h("input", { type: "password", id: "login-token", name: "token",
    autocomplete: "off", spellcheck: "false", placeholder: "pt_…", required: true,
    "aria-describedby": "login-why" });
  const submit = (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) return;
    token.set(t);
    document.getElementById("login").hidden = true;
    window.dispatchEvent(new Event("pantau:refresh"));
  };
  return h("form", { onsubmit: submit },
    h("h2", {}, "Sign in"),
    h("p", { id: "login-why" }, reason),
    h("label", { for: "login-token" }, "API token "), input, " ",
    h("button", { type: "submit" }, "Sign in"),
    h("p", { class: "hint" }, "The collector's operator makes tokens with ",
      h("code", {}, "pantau token new --role read"), ". It is kept in this tab only."));
}

// Show the form; reason is the collector's sentence.
export function showLogin(reason) {
  const box = document.getElementById("login");
  const had = token.get();
  token.clear();
  box.replaceChildren(form(had ? `The token was refused: ${reason}` :
    "This collector asks for a token."));
  box.hidden = false;
  document.getElementById("login-token").focus();
}

// The header's sign-out link, shown while a token is kept.
export function signOutLink() {
  const a = document.getElementById("signout");
  a.hidden = !token.get();
  if (!a.dataset.wired) {
    a.dataset.wired = "1";
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      token.clear();
      location.reload();
    });
  }
}
