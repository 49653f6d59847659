// Tables and cursor paging shared by the list views.

import { h } from "./dom.js";

/** Keyset pages: the API hands out next_cursor; going back replays the cursors seen. */
export class CursorPager {
  constructor() {
    this.reset();
  }

  reset() {
    this.cursors = [null];
    this.nextCursor = null;
  }

  get current() {
    return this.cursors[this.cursors.length - 1];
  }

  get number() {
    return this.cursors.length;
  }

  forward() {
    if (this.nextCursor) this.cursors.push(this.nextCursor);
  }

  back() {
    if (this.cursors.length > 1) this.cursors.pop();
  }
}

export function pagerNav(pager, label, onMove) {
  const previous = h(
    "button",
    { type: "button", disabled: pager.number === 1, on: { click: () => onMove(() => pager.back()) } },
    "Previous page",
  );
  const next = h(
    "button",
    { type: "button", disabled: !pager.nextCursor, on: { click: () => onMove(() => pager.forward()) } },
    "Next page",
  );
  return h("nav", { class: "pager", "aria-label": label }, previous, h("span", {}, `Page ${pager.number}`), next);
}

/** columns: [{label, cell(row) -> Node|string, className?}] */
export function dataTable({ caption, columns, rows, empty }) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  const head = h(
    "tr",
    {},
    columns.map((c) => h("th", { scope: "col", class: c.className || null }, c.label)),
  );
  const body = rows.map((row) =>
    h(
      "tr",
      { "data-id": row.id },
      columns.map((c) => h("td", { class: c.className || null, "data-label": c.label }, c.cell(row))),
    ),
  );
  return h(
    "div",
    // Focusable, so keyboard users can scroll a table wider than a narrow screen.
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {}, h("caption", { class: "visually-hidden" }, caption), h("thead", {}, head), h("tbody", {}, body)),
  );
}
