// Small stacked bar charts as inline SVG (no chart library, nothing loaded from elsewhere).
// Colours come from CSS classes; each chart carries a text summary for screen readers.

import { bucketLabel, h, num, s } from "./dom.js";

// Drawn at about the size it is shown, so 12px labels stay readable.
const WIDTH = 380;
const HEIGHT = 170;
const LEFT = 40;
const BOTTOM = 22;
const TOP = 8;

let chartCount = 0;

function niceMax(value) {
  if (value <= 4) return Math.max(1, value);
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((c) => c >= value);
}

/**
 * buckets: [{start, ...}], series: [{key, label, className}] stacked bottom-up.
 * summary: one sentence that says what the chart shows, for assistive technology.
 */
export function barChart({ title, summary, buckets, bucketSeconds, series }) {
  chartCount += 1;
  const captionId = `chart-${chartCount}-title`;
  const descId = `chart-${chartCount}-desc`;
  const totals = buckets.map((b) => series.reduce((sum, item) => sum + (b[item.key] || 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(1, buckets.length);
  const barWidth = Math.max(1, slot * 0.7);
  const y = (value) => TOP + plotHeight - (value / top) * plotHeight;

  const bars = buckets.map((bucket, index) => {
    const x = LEFT + index * slot + (slot - barWidth) / 2;
    let base = 0;
    const label = `${bucketLabel(bucket.start, bucketSeconds)}: ${series
      .map((item) => `${num(bucket[item.key] || 0)} ${item.label.toLowerCase()}`)
      .join(", ")}`;
    const rects = series.map((item) => {
      const value = bucket[item.key] || 0;
      const rect = s("rect", {
        x: x.toFixed(1),
        y: y(base + value).toFixed(1),
        width: barWidth.toFixed(1),
        height: ((value / top) * plotHeight).toFixed(1),
        class: `bar ${item.className}`,
      });
      base += value;
      return rect;
    });
    return s("g", {}, s("title", {}, label), ...rects);
  });

  const ticks = [
    [0, "start"],
    [buckets.length >> 1, "middle"],
    [buckets.length - 1, "end"],
  ].filter(([i]) => buckets[i]);
  const xLabels = ticks.map(([i, anchor]) => {
    const x = { start: LEFT + i * slot, middle: LEFT + i * slot + slot / 2, end: LEFT + (i + 1) * slot }[anchor];
    return s(
      "text",
      { x: x.toFixed(1), y: HEIGHT - 6, class: "axis-label", "text-anchor": anchor },
      bucketLabel(buckets[i].start, bucketSeconds),
    );
  });
  const svgEl = s(
    "svg",
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: "img",
      "aria-labelledby": `${captionId} ${descId}`,
      class: "chart-svg",
    },
    s("desc", { id: descId }, summary),
    s("line", { x1: LEFT, x2: WIDTH, y1: y(0), y2: y(0), class: "axis" }),
    s("line", { x1: LEFT, x2: WIDTH, y1: y(top), y2: y(top), class: "grid" }),
    s("text", { x: LEFT - 6, y: y(top) + 4, class: "axis-label", "text-anchor": "end" }, num(top)),
    s("text", { x: LEFT - 6, y: y(0), class: "axis-label", "text-anchor": "end" }, "0"),
    ...bars,
    ...xLabels,
  );
  const legend = h(
    "ul",
    { class: "legend" },
    series.map((item) =>
      h("li", {}, h("span", { class: `swatch ${item.className}`, "aria-hidden": "true" }), item.label),
    ),
  );
  return h("figure", { class: "chart" }, h("figcaption", { id: captionId }, title), svgEl, legend);
}
