// DOM building without innerHTML: every value from the API goes in as text, never as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else if (key === "on") {
      for (const [type, handler] of Object.entries(value)) el.addEventListener(type, handler);
    } else if (key in el && !key.includes("-") && !(el instanceof SVGElement)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

/** h("button", {type: "button", on: {click}}, "Label") -> an element. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** The same for SVG elements (charts). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, attrs);
  append(el, children);
  return el;
}

export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const shortTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const shortDay = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit" });
const numbers = new Intl.NumberFormat();

/** A <time> element, or an em dash when there is no value. */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { dateTime: iso, title: iso }, dateTime.format(new Date(iso)));
}

export function bucketLabel(iso, bucketSeconds) {
  const date = new Date(iso);
  return bucketSeconds >= 3 * 3600 ? shortDay.format(date) : shortTime.format(date);
}

export function num(value) {
  return value === null || value === undefined ? "—" : numbers.format(value);
}

export function money(minor, currency) {
  if (minor === null || minor === undefined) return "—";
  const code = (currency || "usd").toUpperCase();
  try {
    const format = new Intl.NumberFormat(undefined, { style: "currency", currency: code });
    const digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(minor / 10 ** digits);
  } catch {
    return `${numbers.format(minor)} ${code}`;
  }
}

export function every(seconds) {
  if (seconds % 86400 === 0) return seconds === 86400 ? "every day" : `every ${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? "every hour" : `every ${seconds / 3600} hours`;
  return `every ${numbers.format(Math.round(seconds / 60))} min`;
}

export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, status.replace("_", " "));
}

/** Say something to screen reader users (the page's one polite live region). */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A separate task, so the same message twice in a row is announced twice.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** Runs fn once, `wait` ms after the last call: bursts of live events cost one refetch. */
export function debounce(fn, wait) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

export function errorText(error) {
  if (error && error.name === "ApiError") {
    const where = error.requestId ? ` (request ${error.requestId})` : "";
    return `${error.message}${where}`;
  }
  return "Orion could not be reached. Check your connection and try again.";
}

/** A labelled form control: <label for> + control, wrapped in a .field div. */
export function field(label, control, hint) {
  const hintEl = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { htmlFor: control.id }, label), control, hintEl);
}

export function select(id, options, value = "") {
  const el = h("select", { id, name: id });
  for (const [optionValue, label] of options) {
    // defaultSelected, so form.reset() comes back to this choice.
    el.append(h("option", { value: optionValue, defaultSelected: optionValue === value }, label));
  }
  return el;
}

/** For loaders that may overlap: `const isLatest = begin(); await ...; if (!isLatest()) return;`
 * so a slow, older answer never overwrites a newer one. */
export function sequencer() {
  let last = 0;
  return () => {
    const mine = ++last;
    return () => mine === last;
  };
}
