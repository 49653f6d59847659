// Boot: find a token, check it, then show the dashboard with live updates.

import { createApi } from "./api.js";
import { adoptFragmentToken, claims, forgetToken, storedToken, storeToken } from "./auth.js";
import { announce, h } from "./dom.js";
import { LiveFeed } from "./live.js";
import { Router } from "./router.js";
import { mountSignIn } from "./views/signin.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const session = document.getElementById("session");
const who = document.getElementById("who");
const liveStatus = document.getElementById("live-status");
const LIVE_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline" };

let router = null;
let live = null;

const api = createApi({
  getToken: storedToken,
  onUnauthorized: () => {
    if (router) signOut("Your session has ended. Sign in again."); // once, however many 401s
  },
});

function showLiveStatus(status) {
  liveStatus.textContent = LIVE_TEXT[status];
  liveStatus.dataset.state = status;
}

function signOut(notice) {
  if (live) live.stop();
  if (router) router.stop();
  live = null;
  router = null;
  forgetToken();
  nav.hidden = true;
  session.hidden = true;
  main.replaceChildren();
  mountSignIn(main, {
    api,
    notice,
    onSignedIn: (token, me) => {
      storeToken(token);
      if (!window.location.hash.startsWith("#/")) window.history.replaceState(null, "", "#/overview");
      start(me);
    },
  });
}

function start(me) {
  const expires = claims(storedToken()).exp;
  who.replaceChildren(
    h("span", { class: "muted" }, "Tenant "),
    h("code", { title: `${me.subject}${expires ? `, token valid until ${new Date(expires * 1000).toLocaleString()}` : ""}` }, me.tenant_id.slice(0, 8)),
  );
  nav.hidden = false;
  session.hidden = false;
  live = new LiveFeed(api);
  router = new Router(main, nav, { api, live });
  live.addEventListener("status", (event) => showLiveStatus(event.detail));
  live.addEventListener("change", (event) => router.change(event.detail));
  live.addEventListener("resync", () => router.resync());
  live.addEventListener("expired", () => signOut("Your session has expired. Sign in again."));
  router.start();
  showLiveStatus("connecting");
  live.start();
  announce("Signed in.");
}

async function boot() {
  adoptFragmentToken();
  document.getElementById("sign-out").addEventListener("click", () => signOut("Signed out."));
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault(); // "#main" would be taken for a route
    main.focus();
  });
  const token = storedToken();
  if (!token) {
    signOut(null);
    return;
  }
  try {
    start(await api.me(token));
  } catch (error) {
    signOut(error.status === 401 ? "Your session has ended. Sign in again." : "Orion could not be reached.");
  }
}

boot();
