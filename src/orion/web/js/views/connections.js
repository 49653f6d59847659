// Connections: status, last sync and latest run, sync now, pause/resume, delete.

import { confirmDialog } from "../dialogs.js";
import {
  announce,
  badge,
  debounce,
  errorText,
  every,
  h,
  num,
  replaceChildren,
  sequencer,
  time,
} from "../dom.js";
import { connectionForm } from "./connection-form.js";

export function connectionName(connection) {
  return connection.display_name || `${connection.provider} ${connection.external_account_id}`;
}

function latestRuns(runs) {
  const latest = new Map();
  for (const run of runs) if (!latest.has(run.connection_id)) latest.set(run.connection_id, run);
  return latest;
}

export function mount(main, { api }) {
  const list = h("div", { class: "cards", "aria-busy": "true" }, "Loading connections…");
  const message = h("p", { class: "form-status", role: "status" });

  async function act(label, work) {
    message.className = "form-status";
    try {
      await work();
      announce(label);
      message.textContent = label;
    } catch (error) {
      message.className = "form-status error";
      message.textContent = errorText(error);
    }
    await load();
  }

  function card(connection, run) {
    const name = connectionName(connection);
    const active = connection.status === "active";
    const syncNow = h("button", { type: "button", class: "primary", disabled: !active, "aria-label": `Sync ${name} now` }, "Sync now");
    syncNow.addEventListener("click", () =>
      act(`Sync of ${name} started.`, () => api.post(`/api/v1/connections/${connection.id}/sync`)),
    );
    const next = connection.status === "paused" ? "active" : "paused";
    const toggle = h("button", { type: "button", "aria-label": `${next === "paused" ? "Pause" : "Resume"} ${name}` }, next === "paused" ? "Pause" : "Resume");
    toggle.addEventListener("click", () =>
      act(`${name} ${next === "paused" ? "paused" : "resumed"}.`, () =>
        api.patch(`/api/v1/connections/${connection.id}`, { status: next }),
      ),
    );
    const remove = h("button", { type: "button", class: "danger", "aria-label": `Delete ${name}` }, "Delete");
    remove.addEventListener("click", async () => {
      const confirmed = await confirmDialog({
        title: `Delete ${name}?`,
        message: "Its schedule, sync history, webhook events and every synced record are removed. This cannot be undone.",
        confirmLabel: "Delete connection",
      });
      if (confirmed) await act(`${name} deleted.`, () => api.del(`/api/v1/connections/${connection.id}`));
    });
    const runText = run
      ? [badge(run.status), ` ${num(run.records_upserted)} records · ${num(run.pages)} pages · `, time(run.started_at)]
      : [h("span", { class: "muted" }, "No sync yet")];
    const webhookUrl =
      connection.provider === "stripe"
        ? [h("dt", {}, "Webhook endpoint"), h("dd", {}, h("code", {}, `${window.location.origin}/api/v1/webhooks/stripe/${connection.id}`))]
        : null;
    return h(
      "article",
      { class: "card", "aria-labelledby": `conn-${connection.id}`, "data-connection": connection.id },
      h("h3", { id: `conn-${connection.id}` }, name),
      h("p", {}, badge(connection.status), connection.status_reason ? h("span", { class: "reason" }, ` ${connection.status_reason}`) : null),
      h(
        "dl",
        { class: "fields" },
        h("dt", {}, "Provider"),
        h("dd", {}, `${connection.provider} · ${connection.external_account_id}`),
        h("dt", {}, "Last synced"),
        h("dd", {}, time(connection.last_synced_at)),
        h("dt", {}, "Latest run"),
        h("dd", {}, runText),
        h("dt", {}, "Schedule"),
        h("dd", {}, every(connection.sync_interval_seconds)),
        webhookUrl,
      ),
      h("div", { class: "actions" }, syncNow, toggle, remove),
    );
  }

  const begin = sequencer();

  async function load() {
    const isLatest = begin();
    try {
      const [connections, runs] = await Promise.all([
        api.get("/api/v1/connections"),
        api.get("/api/v1/sync-runs", { limit: 100 }),
      ]);
      if (!isLatest()) return;
      const latest = latestRuns(runs.data);
      replaceChildren(
        list,
        connections.length
          ? connections.map((c) => card(c, latest.get(c.id)))
          : h("p", { class: "empty" }, "No connections yet. Add a Stripe or HubSpot account below."),
      );
    } catch (error) {
      if (isLatest()) replaceChildren(list, h("p", { role: "alert" }, errorText(error)));
    }
    list.removeAttribute("aria-busy");
  }

  const reload = debounce(load, 300);
  const onChange = (change) => {
    if (change.kind === "connection" || change.kind === "sync_run") reload();
  };

  main.append(
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Connections")),
    message,
    h("section", { "aria-label": "Your connections" }, list),
    h("section", { class: "panel" }, connectionForm({ api, onCreated: load })),
  );
  load();
  return { onChange, refresh: load, unmount: () => reload.cancel() };
}
