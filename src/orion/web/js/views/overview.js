// Overview: dependency health, sync activity and webhook traffic, re-read on live changes.

import { barChart } from "../charts.js";
import { badge, debounce, errorText, field, h, num, replaceChildren, select, sequencer } from "../dom.js";

const WINDOWS = [
  ["1", "Last hour"],
  ["24", "Last 24 hours"],
  ["168", "Last 7 days"],
];

async function readHealth() {
  // Public endpoint; 503 still carries the per-dependency report.
  const response = await fetch("/health/detailed", { cache: "no-store", credentials: "omit" });
  return response.json();
}

function healthSection(report) {
  const checks = Object.entries(report.checks || {}).map(([key, [check]]) => {
    const name = key.split(":")[0];
    const latency =
      check.observedValue === undefined ? "" : ` · ${num(Math.round(check.observedValue))} ms`;
    return h(
      "li",
      { class: "check" },
      h("span", { class: "check-name" }, name),
      badge(check.status),
      h("span", { class: "muted" }, `${check.output || ""}${latency}`),
    );
  });
  return [
    h("p", {}, "Overall ", badge(report.status), ` · release ${report.releaseId || "?"}`),
    h("ul", { class: "checks" }, checks),
  ];
}

function stat(label, value, href) {
  const content = [h("span", { class: "stat-value" }, num(value)), h("span", { class: "stat-label" }, label)];
  return h("li", { class: "stat" }, href ? h("a", { href }, content) : content);
}

function activitySection(activity, hours) {
  const sum = (items, key) => items.reduce((total, item) => total + item[key], 0);
  const syncs = activity.sync.buckets;
  const hooks = activity.webhooks.buckets;
  const span = WINDOWS.find(([value]) => value === String(hours))[1].toLowerCase();
  return [
    h(
      "ul",
      { class: "stats" },
      stat("active connections", activity.connections.active || 0, "#/connections"),
      stat("need new credentials", activity.connections.needs_reauth || 0, "#/connections"),
      stat("syncs running", activity.sync.running, "#/sync-runs"),
      stat("dead webhook events", activity.webhooks.dead_total, "#/webhooks"),
    ),
    h(
      "div",
      { class: "charts" },
      barChart({
        title: "Sync runs",
        summary: `${num(sum(syncs, "runs"))} sync runs started in the ${span}, ${num(sum(syncs, "failed"))} failed.`,
        buckets: syncs.map((b) => ({ ...b, ok: b.runs - b.failed })),
        bucketSeconds: activity.bucket_seconds,
        series: [
          { key: "ok", label: "Completed or running", className: "series-ok" },
          { key: "failed", label: "Failed", className: "series-bad" },
        ],
      }),
      barChart({
        title: "Records synced",
        summary: `${num(sum(syncs, "records"))} records inserted or changed by syncs in the ${span}.`,
        buckets: syncs,
        bucketSeconds: activity.bucket_seconds,
        series: [{ key: "records", label: "Records", className: "series-info" }],
      }),
      barChart({
        title: "Webhook events",
        summary: `${num(sum(hooks, "received"))} webhook events received in the ${span}, ${num(sum(hooks, "dead"))} of them dead.`,
        buckets: hooks.map((b) => ({ ...b, alive: b.received - b.dead })),
        bucketSeconds: activity.bucket_seconds,
        series: [
          { key: "alive", label: "Received", className: "series-ok" },
          { key: "dead", label: "Dead", className: "series-bad" },
        ],
      }),
    ),
  ];
}

export function mount(main, { api }) {
  let hours = 24;
  const healthBox = h("div", { "aria-busy": "true" }, "Checking dependencies…");
  const activityBox = h("div", { "aria-busy": "true" }, "Loading activity…");
  const windowSelect = select("overview-window", WINDOWS, String(hours));
  const refreshButton = h("button", { type: "button" }, "Refresh");

  async function loadHealth() {
    try {
      replaceChildren(healthBox, healthSection(await readHealth()));
    } catch (error) {
      replaceChildren(healthBox, h("p", { role: "alert" }, errorText(error)));
    }
    healthBox.removeAttribute("aria-busy");
  }

  const begin = sequencer();

  async function loadActivity() {
    const isLatest = begin();
    try {
      const activity = await api.get("/api/v1/activity", { hours });
      if (isLatest()) replaceChildren(activityBox, activitySection(activity, hours));
    } catch (error) {
      if (isLatest()) replaceChildren(activityBox, h("p", { role: "alert" }, errorText(error)));
    }
    activityBox.removeAttribute("aria-busy");
  }

  const onChange = debounce(loadActivity, 1000);
  windowSelect.addEventListener("change", () => {
    hours = Number(windowSelect.value);
    loadActivity();
  });
  refreshButton.addEventListener("click", () => {
    loadHealth();
    loadActivity();
  });

  main.append(
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, "Overview"), refreshButton),
    h("section", { "aria-labelledby": "health-title", class: "panel" }, h("h2", { id: "health-title" }, "Dependencies"), healthBox),
    h(
      "section",
      { "aria-labelledby": "activity-title", class: "panel" },
      h("div", { class: "panel-head" }, h("h2", { id: "activity-title" }, "Activity"), field("Window", windowSelect)),
      activityBox,
    ),
  );
  loadHealth();
  loadActivity();
  return { onChange, refresh: loadActivity, unmount: () => onChange.cancel() };
}
