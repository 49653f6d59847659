// Customers and invoices: filters, cursor pages, and a detail dialog with the raw payload.
// Live changes do not reshuffle the page being read: a "new data" button offers a refresh.

import { detailDialog } from "../dialogs.js";
import { badge, errorText, field, h, money, replaceChildren, select, sequencer, time } from "../dom.js";
import { CursorPager, dataTable, pagerNav } from "../table.js";
import { connectionName } from "./connections.js";

const PROVIDERS = [
  ["", "Any provider"],
  ["stripe", "Stripe"],
  ["hubspot", "HubSpot"],
];
const INVOICE_STATUSES = [
  ["", "Any status"],
  ...["draft", "open", "paid", "void", "uncollectible"].map((s) => [s, s[0].toUpperCase() + s.slice(1)]),
];

const KINDS = {
  customers: {
    title: "Customers",
    path: "/api/v1/customers",
    search: { key: "email", label: "Email (exact match)", type: "email" },
    columns: (open) => [
      { label: "Name", cell: (c) => h("button", { type: "button", class: "link", on: { click: () => open(c) } }, c.name || c.email || c.external_id) },
      { label: "Email", cell: (c) => c.email || "—" },
      { label: "Company", cell: (c) => c.company || "—", className: "optional" },
      { label: "Provider", cell: (c) => c.provider, className: "optional" },
      { label: "Updated", cell: (c) => time(c.updated_at), className: "optional" },
      { label: "State", cell: (c) => badge(c.deleted_at ? "deleted" : "current") },
    ],
    fields: (c) => [
      ["Email", c.email || "—"],
      ["Phone", c.phone || "—"],
      ["Company", c.company || "—"],
      ["Provider id", h("code", {}, c.external_id)],
      ["Source updated", time(c.source_updated_at)],
      ["Version", String(c.version)],
    ],
    name: (c) => c.name || c.email || c.external_id,
  },
  invoices: {
    title: "Invoices",
    path: "/api/v1/invoices",
    search: { key: "customer_external_id", label: "Customer id at the provider", type: "search" },
    statuses: INVOICE_STATUSES,
    columns: (open) => [
      { label: "Number", cell: (i) => h("button", { type: "button", class: "link", on: { click: () => open(i) } }, i.number || i.external_id) },
      { label: "Status", cell: (i) => (i.status ? badge(i.status) : "—") },
      { label: "Total", cell: (i) => money(i.total, i.currency), className: "num" },
      { label: "Due", cell: (i) => money(i.amount_remaining, i.currency), className: "num optional" },
      { label: "Customer", cell: (i) => i.customer_external_id || "—", className: "optional" },
      { label: "Issued", cell: (i) => time(i.issued_at), className: "optional" },
      { label: "Provider", cell: (i) => i.provider, className: "optional" },
    ],
    fields: (i) => [
      ["Status", i.status ? badge(i.status) : "—"],
      ["Total", money(i.total, i.currency)],
      ["Paid", money(i.amount_paid, i.currency)],
      ["Customer id", i.customer_external_id || "—"],
      ["Issued", time(i.issued_at)],
      ["Due", time(i.due_at)],
      ["Provider id", h("code", {}, i.external_id)],
    ],
    name: (i) => `Invoice ${i.number || i.external_id}`,
  },
};

export function recordsView(kindName) {
  const kind = KINDS[kindName];
  return function mount(main, { api }) {
    const pager = new CursorPager();
    const begin = sequencer();
    const search = h("input", { id: `${kindName}-search`, type: kind.search.type, autocomplete: "off" });
    const connection = select(`${kindName}-connection`, [["", "Any connection"]]);
    const provider = select(`${kindName}-provider`, PROVIDERS);
    const status = kind.statuses ? select(`${kindName}-status`, kind.statuses) : null;
    const results = h("div", { "aria-busy": "true" }, `Loading ${kind.title.toLowerCase()}…`);
    const fresh = h("button", { type: "button", class: "notice", hidden: true }, "New data may be available — refresh");
    const live = h("div", { role: "status" }, fresh);

    async function open(record) {
      try {
        const detail = await api.get(`${kind.path}/${record.id}`);
        await detailDialog({ title: kind.name(detail), fields: kind.fields(detail), raw: detail.raw });
      } catch (error) {
        replaceChildren(live, h("p", { class: "form-status error" }, errorText(error)), fresh);
      }
    }

    async function loadConnections() {
      try {
        const connections = await api.get("/api/v1/connections");
        connection.append(...connections.map((c) => h("option", { value: c.id }, connectionName(c))));
      } catch {
        // The list still works without the connection filter's names.
      }
    }

    async function load() {
      const isLatest = begin();
      fresh.hidden = true;
      try {
        const page = await api.get(kind.path, {
          [kind.search.key]: search.value.trim(),
          connection_id: connection.value,
          provider: provider.value,
          status: status ? status.value : "",
          cursor: pager.current,
          limit: 25,
        });
        if (!isLatest()) return;
        pager.nextCursor = page.next_cursor;
        replaceChildren(
          results,
          dataTable({
            caption: kind.title,
            empty: `No ${kind.title.toLowerCase()} match.`,
            rows: page.data,
            columns: kind.columns(open),
          }),
          pagerNav(pager, `${kind.title} pages`, (step) => {
            step();
            load();
          }),
        );
      } catch (error) {
        if (isLatest()) replaceChildren(results, h("p", { role: "alert" }, errorText(error)));
      }
      results.removeAttribute("aria-busy");
    }

    const form = h(
      "form",
      { class: "filters", role: "search", "aria-label": `Filter ${kind.title.toLowerCase()}` },
      field(kind.search.label, search),
      field("Connection", connection),
      field("Provider", provider),
      status ? field("Status", status) : null,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Search")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      pager.reset();
      load();
    });
    for (const control of [connection, provider, status].filter(Boolean)) {
      control.addEventListener("change", () => {
        pager.reset();
        load();
      });
    }
    fresh.addEventListener("click", load);

    main.append(h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, kind.title)), form, live, results);
    loadConnections();
    load();
    return {
      onChange: (change) => {
        if (change.kind === "sync_run" || change.kind === "webhook_event") fresh.hidden = false;
      },
      refresh: load,
      unmount: () => {},
    };
  };
}
