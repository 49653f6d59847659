// Webhook events: status and attempts as they change; dead events can be replayed.

import { detailDialog } from "../dialogs.js";
import {
  announce,
  badge,
  debounce,
  errorText,
  field,
  h,
  num,
  replaceChildren,
  select,
  sequencer,
  time,
} from "../dom.js";
import { CursorPager, dataTable, pagerNav } from "../table.js";

const STATUSES = [
  ["", "Any status"],
  ["received", "Received"],
  ["dispatched", "Dispatched"],
  ["processed", "Processed"],
  ["dead", "Dead"],
];
const PROVIDERS = [
  ["", "Any provider"],
  ["stripe", "Stripe"],
  ["hubspot", "HubSpot"],
];

export function mount(main, { api }) {
  const pager = new CursorPager();
  const seen = new Set();
  const statusFilter = select("events-status", STATUSES);
  const providerFilter = select("events-provider", PROVIDERS);
  const message = h("p", { class: "form-status", role: "status" });
  const results = h("div", { "aria-busy": "true" }, "Loading webhook events…");
  const begin = sequencer();

  async function replay(event) {
    message.className = "form-status";
    try {
      await api.post(`/api/v1/webhook-events/${event.id}/replay`);
      message.textContent = `Replay of ${event.event_type} queued.`;
      announce(message.textContent);
    } catch (error) {
      message.className = "form-status error";
      message.textContent = `Not replayed: ${errorText(error)}`;
    }
    load();
  }

  async function showEvent(event) {
    try {
      const detail = await api.get(`/api/v1/webhook-events/${event.id}`);
      await detailDialog({
        title: `${detail.event_type} · ${detail.event_id}`,
        fields: [
          ["Status", badge(detail.status)],
          ["Attempts", num(detail.attempts)],
          ["Received", time(detail.received_at)],
          ["Processed", time(detail.processed_at)],
          ["Last error", detail.last_error || "—"],
        ],
        raw: detail.payload,
      });
    } catch (error) {
      message.className = "form-status error";
      message.textContent = errorText(error);
    }
  }

  function actions(event) {
    const label = `${event.event_type} ${event.event_id}`;
    const view = h("button", { type: "button", "aria-label": `View ${label}`, on: { click: () => showEvent(event) } }, "View");
    if (event.status !== "dead") return view;
    const again = h("button", { type: "button", class: "primary", "aria-label": `Replay ${label}`, on: { click: () => replay(event) } }, "Replay");
    return h("span", { class: "row-actions" }, view, again);
  }

  function announceNew(events) {
    const fresh = events.filter((e) => !seen.has(e.id));
    if (seen.size && fresh.length) {
      announce(`${fresh.length} new webhook event${fresh.length === 1 ? "" : "s"}.`);
    }
    for (const e of events) seen.add(e.id);
  }

  async function load() {
    const isLatest = begin();
    try {
      const page = await api.get("/api/v1/webhook-events", {
        status: statusFilter.value,
        provider: providerFilter.value,
        cursor: pager.current,
        limit: 25,
      });
      if (!isLatest()) return;
      pager.nextCursor = page.next_cursor;
      announceNew(page.data);
      replaceChildren(
        results,
        dataTable({
          caption: "Webhook events, newest first",
          empty: "No webhook events match.",
          rows: page.data,
          columns: [
            { label: "Received", cell: (e) => time(e.received_at) },
            { label: "Provider", cell: (e) => e.provider, className: "optional" },
            { label: "Type", cell: (e) => e.event_type },
            { label: "Object", cell: (e) => e.object_id || "—", className: "optional" },
            { label: "Status", cell: (e) => badge(e.status) },
            { label: "Attempts", cell: (e) => num(e.attempts), className: "num" },
            { label: "Replays", cell: (e) => num(e.replays), className: "num optional" },
            { label: "Last error", cell: (e) => (e.last_error ? h("span", { class: "error-text" }, e.last_error) : "—") },
            { label: "Actions", cell: actions },
          ],
        }),
        pagerNav(pager, "Webhook event pages", (step) => {
          step();
          load();
        }),
      );
    } catch (error) {
      if (isLatest()) replaceChildren(results, h("p", { role: "alert" }, errorText(error)));
    }
    results.removeAttribute("aria-busy");
  }

  for (const control of [statusFilter, providerFilter]) {
    control.addEventListener("change", () => {
      pager.reset();
      load();
    });
  }
  const reload = debounce(load, 300);
  const onChange = (change) => {
    if (change.kind === "webhook_event") reload();
  };

  main.append(
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Webhook events")),
    h("div", { class: "filters" }, field("Status", statusFilter), field("Provider", providerFilter)),
    message,
    results,
  );
  load();
  return { onChange, refresh: load, unmount: () => reload.cancel() };
}
