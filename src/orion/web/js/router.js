// Hash routes (#/customers): a static host needs no rewrite rules for them.

import { mount as connections } from "./views/connections.js";
import { mount as overview } from "./views/overview.js";
import { recordsView } from "./views/records.js";
import { mount as syncRuns } from "./views/sync-runs.js";
import { mount as webhooks } from "./views/webhooks.js";

export const ROUTES = {
  overview: { title: "Overview", mount: overview },
  connections: { title: "Connections", mount: connections },
  "sync-runs": { title: "Sync runs", mount: syncRuns },
  webhooks: { title: "Webhook events", mount: webhooks },
  customers: { title: "Customers", mount: recordsView("customers") },
  invoices: { title: "Invoices", mount: recordsView("invoices") },
};

export function routeName() {
  const name = window.location.hash.replace(/^#\/?/, "").split("?")[0];
  return name in ROUTES ? name : "overview";
}

export class Router {
  constructor(main, nav, context) {
    this.main = main;
    this.nav = nav;
    this.context = context;
    this.view = null;
    this.onHashChange = () => this.render();
  }

  start() {
    window.addEventListener("hashchange", this.onHashChange);
    this.render();
  }

  stop() {
    window.removeEventListener("hashchange", this.onHashChange);
    this.unmount();
  }

  unmount() {
    if (this.view) this.view.unmount();
    this.view = null;
    this.main.replaceChildren();
  }

  render() {
    const name = routeName();
    this.unmount();
    for (const link of this.nav.querySelectorAll("a")) {
      if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    document.title = `${ROUTES[name].title} · Orion`;
    this.view = ROUTES[name].mount(this.main, this.context);
    // Move focus to the new heading, so keyboard and screen reader users start there.
    const heading = this.main.querySelector("h1");
    if (heading) heading.focus();
  }

  /** Live updates go to the view on screen; views decide what to re-read. */
  change(detail) {
    if (this.view) this.view.onChange(detail);
  }

  resync() {
    if (this.view) this.view.refresh();
  }
}
