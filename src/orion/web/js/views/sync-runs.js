// Sync runs: live progress (pages, records, rate) and errors; re-read when a run changes.

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
import { connectionName } from "./connections.js";

function rate(run) {
  if (!run.duration_seconds) return "—";
  return `${num(Math.round(run.records_upserted / run.duration_seconds))}/s`;
}

function statusCell(run) {
  if (run.status !== "running") return badge(run.status);
  // No total is known in advance (incremental reads), so the bar is indeterminate.
  return h("span", { class: "running" }, badge("running"), h("progress", { "aria-label": "Sync in progress" }));
}

export function mount(main, { api }) {
  const pager = new CursorPager();
  const names = new Map();
  const statuses = new Map();
  const filter = select("runs-connection", [["", "All connections"]]);
  const results = h("div", { "aria-busy": "true" }, "Loading sync runs…");
  const begin = sequencer();

  function announceTransitions(runs) {
    for (const run of runs) {
      const before = statuses.get(run.id);
      if (before === "running" && run.status !== "running") {
        const name = names.get(run.connection_id) || "a connection";
        announce(`Sync of ${name} ${run.status}: ${num(run.records_upserted)} records in ${num(run.pages)} pages.`);
      }
      statuses.set(run.id, run.status);
    }
  }

  async function loadConnections() {
    const connections = await api.get("/api/v1/connections");
    for (const c of connections) names.set(c.id, connectionName(c));
    const chosen = filter.value;
    replaceChildren(
      filter,
      h("option", { value: "" }, "All connections"),
      connections.map((c) => h("option", { value: c.id, selected: c.id === chosen }, connectionName(c))),
    );
  }

  async function load(withNames = false) {
    const isLatest = begin();
    try {
      if (withNames || !names.size) await loadConnections();
      const page = await api.get("/api/v1/sync-runs", {
        connection_id: filter.value,
        cursor: pager.current,
        limit: 25,
      });
      if (!isLatest()) return;
      pager.nextCursor = page.next_cursor;
      announceTransitions(page.data);
      replaceChildren(
        results,
        dataTable({
          caption: "Sync runs, newest first",
          empty: "No sync runs yet. Start one with “Sync now” on a connection.",
          rows: page.data,
          columns: [
            { label: "Connection", cell: (r) => names.get(r.connection_id) || r.connection_id },
            { label: "Status", cell: statusCell },
            { label: "Pages", cell: (r) => num(r.pages), className: "num" },
            { label: "Records", cell: (r) => num(r.records_upserted), className: "num" },
            { label: "Deleted", cell: (r) => num(r.records_deleted), className: "num optional" },
            { label: "Rate", cell: rate, className: "num" },
            { label: "Started", cell: (r) => time(r.started_at), className: "optional" },
            { label: "Duration", cell: (r) => `${num(Math.round(r.duration_seconds))} s`, className: "num optional" },
            { label: "Trigger", cell: (r) => r.trigger, className: "optional" },
            { label: "Error", cell: (r) => (r.error ? h("span", { class: "error-text" }, r.error) : "—") },
          ],
        }),
        pagerNav(pager, "Sync run pages", move),
      );
    } catch (error) {
      if (isLatest()) replaceChildren(results, h("p", { role: "alert" }, errorText(error)));
    }
    results.removeAttribute("aria-busy");
  }

  function move(step) {
    step();
    load();
  }

  filter.addEventListener("change", () => {
    pager.reset();
    load();
  });
  const reload = debounce(load, 300);
  const reloadNames = debounce(() => load(true), 300);
  const onChange = (change) => {
    if (change.kind === "sync_run") reload();
    if (change.kind === "connection") reloadNames();
  };

  main.append(
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Sync runs")),
    h("div", { class: "filters" }, field("Connection", filter)),
    results,
  );
  load();
  return {
    onChange,
    refresh: () => load(true),
    unmount: () => {
      reload.cancel();
      reloadNames.cancel();
    },
  };
}
