// Modal dialogs on <dialog>: focus moves in, Escape closes, focus returns to the opener.

import { h } from "./dom.js";

function open(dialog) {
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue);
    });
    dialog.showModal();
  });
}

/** Resolves true only if the user confirms. */
export async function confirmDialog({ title, message, confirmLabel }) {
  const titleId = "confirm-title";
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": titleId },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: titleId }, title),
      h("p", {}, message),
      h(
        "div",
        { class: "actions" },
        h("button", { value: "cancel", autofocus: true }, "Cancel"),
        h("button", { value: "confirm", class: "danger" }, confirmLabel),
      ),
    ),
  );
  return (await open(dialog)) === "confirm";
}

/** fields: [[label, Node|string]]; raw: the provider's object, shown as formatted JSON. */
export function detailDialog({ title, fields, raw, rawLabel = "Raw payload" }) {
  const titleId = "detail-title";
  const dialog = h(
    "dialog",
    { class: "dialog dialog-wide", "aria-labelledby": titleId },
    h(
      "form",
      { method: "dialog" },
      h(
        "div",
        { class: "dialog-head" },
        h("h2", { id: titleId }, title),
        h("button", { value: "close", "aria-label": "Close" }, "Close"),
      ),
      h("dl", { class: "fields" }, fields.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
      h("h3", {}, rawLabel),
      h("pre", { class: "raw", tabindex: "0", "aria-label": rawLabel }, JSON.stringify(raw, null, 2)),
    ),
  );
  return open(dialog);
}
