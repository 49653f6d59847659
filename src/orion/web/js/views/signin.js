// Sign-in: paste an access token (development: `orion up` prints one), or arrive from the
// Supabase login with the token in the URL fragment (handled by auth.js before this shows).

import { errorText, field, h } from "../dom.js";

export function mountSignIn(main, { api, notice, onSignedIn }) {
  const token = h("textarea", {
    id: "access-token",
    name: "access-token",
    rows: 5,
    required: true,
    autocomplete: "off",
    spellcheck: false,
  });
  const status = h("p", { class: notice ? "form-status error" : "form-status", role: "alert" }, notice || "");
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "panel signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", tabindex: "-1" }, "Sign in to Orion"),
    h(
      "p",
      {},
      "Staging and production: sign in with your organisation's Orion login, which brings you back here signed in. ",
      "Development: paste the token that ",
      h("code", {}, "orion up"),
      " prints, or create one with ",
      h("code", {}, "orion token create --tenant <uuid>"),
      ".",
    ),
    field("Access token", token, "Kept in this tab only (session storage) and sent to Orion's API, nowhere else."),
    status,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.className = "form-status";
    status.textContent = "Checking the token…";
    const value = token.value.trim();
    try {
      const me = await api.me(value);
      onSignedIn(value, me);
    } catch (error) {
      status.className = "form-status error";
      status.textContent =
        error.status === 401
          ? "This token was not accepted: it is expired, malformed, or not signed for this environment."
          : errorText(error);
      submit.disabled = false;
    }
  });
  main.append(form);
  form.querySelector("h1").focus();
}
