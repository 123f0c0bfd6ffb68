// Small DOM and formatting helpers. Text goes in as text (never as HTML), so nothing a station
// or an operator typed can run as script.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// -- formatting -------------------------------------------------------------------------------

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

export function clock(ms) {
  return timeOnly.format(new Date(ms));
}

export function num(value, digits = 1, unit = "") {
  if (value === null || value === undefined) return "—";
  const text = Number(value).toLocaleString(undefined, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return unit ? `${text} ${unit}` : text;
}

export function money(m) {
  if (!m) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: m.currency }).format(
      Number(m.amount),
    );
  } catch {
    return `${m.currency} ${m.amount}`;
  }
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min ${seconds % 60} s`;
}

/** ENUM_LIKE_THIS → "Enum like this". */
const KEEP = new Set(["OK", "CCS1", "CCS2", "NACS", "VAT", "CHADEMO"]);

export function words(value) {
  if (!value) return "—";
  if (KEEP.has(value)) return value === "CHADEMO" ? "CHAdeMO" : value;
  const text = String(value).replace(/_/g, " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function badge(value, kind = "status") {
  return h("span", { class: `badge ${kind}-${String(value || "unknown").toLowerCase()}` }, words(value));
}

// -- messages ---------------------------------------------------------------------------------

/** A result or error line that screen readers announce. */
export function notice(el, message, kind = "ok") {
  clear(el, message);
  el.className = `notice ${kind}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  el.hidden = !message;
}

const LEADS = {
  COMMAND_REJECTED: "The station rejected it",
  COMMAND_TIMED_OUT: "The station did not answer in time",
  STATION_OFFLINE: "The station is offline",
  FORBIDDEN: "Not allowed",
  RATE_LIMITED: "Too many attempts",
};

/** An error in words: what it means for the operator, then the API's own message and code. */
export function errorText(error) {
  if (!error) return "";
  const message = error.message || String(error);
  const code = error.code ? ` (${error.code})` : "";
  const lead = LEADS[error.code];
  return lead ? `${lead}: ${message}${code}` : `${message}${code}`;
}

/** Run an action from a button: disabled while it runs, its result or error shown in `out`. */
export async function act(button, out, run, ok) {
  button.disabled = true;
  notice(out, "Sending…", "pending");
  try {
    const result = await run();
    notice(out, typeof ok === "function" ? ok(result) : ok || "Done.", "ok");
    return result;
  } catch (error) {
    notice(out, errorText(error), "error");
    return null;
  } finally {
    button.disabled = false;
  }
}

export function field(label, input, hint = null) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint && h("small", {}, hint));
}

export function select(options, value = null, attrs = {}) {
  return h(
    "select",
    attrs,
    options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)),
  );
}

export function table(headers, rows, attrs = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      attrs,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows),
    ),
  );
}

// -- dates and ranges -------------------------------------------------------------------------

export function isoDay(date) {
  const d = new Date(date);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** A range of whole local days, from the start of `from` to the end of `to`, in UTC ISO. */
export function dayRange(from, to) {
  const start = new Date(`${from}T00:00:00`);
  const end = new Date(`${to}T00:00:00`);
  end.setDate(end.getDate() + 1);
  return { from: start.toISOString(), to: end.toISOString() };
}

export function rangeInputs(days = 30, onChange = null) {
  const today = new Date();
  const past = new Date(Date.now() - (days - 1) * 86_400_000);
  const from = h("input", { type: "date", value: isoDay(past), required: true });
  const to = h("input", { type: "date", value: isoDay(today), required: true });
  if (onChange) {
    from.addEventListener("change", onChange);
    to.addEventListener("change", onChange);
  }
  return {
    from,
    to,
    fields: [field("From", from), field("To", to)],
    value() {
      if (!from.value || !to.value) throw new Error("Choose both dates of the period.");
      if (to.value < from.value) throw new Error("The period must end on or after its first day.");
      return dayRange(from.value, to.value);
    },
  };
}

export function download(name, text, type = "text/csv;charset=utf-8") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function csvOf(headers, rows) {
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

// -- charts (Chart.js, vendored; window.Chart) ------------------------------------------------

export const PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#be185d"];

/** A chart in a labelled figure; `config` is Chart.js's. The chart is destroyed with `scope`. */
export function chart(title, config, scope, { height = 260, description = "" } = {}) {
  const canvas = h("canvas", { role: "img", "aria-label": description || title });
  const figure = h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, title),
    h("div", { class: "chart-box", style: `height:${height}px` }, canvas),
  );
  const instance = new window.Chart(canvas, {
    ...config,
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      ...config.options,
      plugins: { legend: { position: "bottom" }, ...(config.options || {}).plugins },
    },
  });
  scope.add(() => instance.destroy());
  figure.chart = instance;
  return figure;
}

/** A linear time axis in milliseconds, labelled in local clock time, that fits the data. */
export function timeAxis(title, spanMs = null) {
  const steps = [60_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 43_200_000, 86_400_000];
  const stepSize = spanMs ? steps.find((s) => spanMs / s <= 8) || 86_400_000 : undefined;
  return {
    type: "linear",
    title: { display: true, text: title },
    ticks: { callback: (v) => clock(v), maxTicksLimit: 10, stepSize },
  };
}

export function valueAxis(title, extra = {}) {
  return { type: "linear", title: { display: true, text: title }, ...extra };
}
