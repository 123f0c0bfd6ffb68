// Revenue: the revenue report for a period, grouped as the operator chooses, as a stacked chart
// and a table, with the payments CSV (the API's paymentsCsv) and the table's own CSV to download.

import { gql } from "../api.js";
import { PALETTE, act, chart, clear, csvOf, download, errorText, field, h, money, notice, rangeInputs, select, table, valueAxis, words } from "../ui.js";

const PARTS = [
  ["energyRevenue", "Energy"],
  ["timeRevenue", "Time"],
  ["idleRevenue", "Idle fees"],
  ["sessionFees", "Session fees"],
  ["membershipRevenue", "Memberships"],
  ["refunds", "Refunds"],
];

export async function revenuePage(scope) {
  const range = rangeInputs(30);
  const group = select([["DAY", "Day"], ["MONTH", "Month"], ["STATION", "Station"], ["SITE", "Site"], ["PAYMENT_METHOD", "Payment method"]], "DAY", { name: "groupBy" });
  const out = h("p", { class: "notice", hidden: true });
  const results = h("div");
  const charts = { closers: [], add(f) { this.closers.push(f); }, close() { this.closers.splice(0).forEach((f) => f()); } };
  scope.add(() => charts.close());
  let current = null;

  async function load() {
    let period;
    try {
      period = range.value();
    } catch (error) {
      notice(out, error.message, "error");
      return;
    }
    notice(out, "", "ok");
    charts.close();
    clear(results, h("p", { class: "loading" }, "Loading…"));
    try {
      const report = (await gql("RevenueReport", { range: period, groupBy: group.value })).revenueReport;
      current = { report, period };
      render(report);
    } catch (error) {
      clear(results);
      notice(out, errorText(error), "error");
    }
  }

  function render(report) {
    const rows = report.rows;
    const currency = (report.totals.gross || {}).currency || (rows[0] && rows[0].gross.currency) || "";
    const tiles = h(
      "div",
      { class: "tiles" },
      [["Gross", report.totals.gross], ["Net", report.totals.net], ["VAT", report.totals.vat]].map(([label, m]) =>
        h("div", { class: "tile", "data-tile": label.toLowerCase() }, h("div", { class: "tile-value" }, money(m)), h("div", { class: "tile-label" }, `${label}, ${rows.reduce((a, r) => a + r.sessions, 0)} sessions`)),
      ),
    );
    if (!rows.length) {
      clear(results, tiles, h("p", { class: "muted" }, "No receipted sessions in this period."));
      return;
    }
    const datasets = PARTS.map(([key, label], i) => ({
      label,
      data: rows.map((r) => (key === "refunds" ? -1 : 1) * Number(r[key].amount)),
      backgroundColor: PALETTE[i % PALETTE.length],
      stack: "revenue",
      maxBarThickness: 90,
    })).filter((d) => d.data.some((v) => v !== 0));
    const fig = chart(
      `Revenue by ${words(group.value).toLowerCase()} (${currency}, incl. VAT)`,
      {
        type: "bar",
        data: { labels: rows.map((r) => r.label), datasets },
        options: {
          scales: {
            x: { stacked: true, title: { display: true, text: words(group.value) } },
            y: { ...valueAxis(`Revenue (${currency})`), stacked: true },
          },
          plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${money({ amount: c.parsed.y, currency })}` } } },
        },
      },
      charts,
      { height: 300, description: "Stacked revenue per group: energy, time, idle fees, session fees, memberships, less refunds" },
    );
    const headers = ["Group", "Sessions", ...PARTS.map(([, l]) => l), "Net", "VAT", "Gross"];
    clear(
      results,
      tiles,
      fig,
      table(
        headers,
        rows.map((r) =>
          h("tr", {}, h("th", { scope: "row" }, r.label), h("td", { class: "num" }, String(r.sessions)), PARTS.map(([k]) => h("td", { class: "num" }, money(r[k]))), h("td", { class: "num" }, money(r.net)), h("td", { class: "num" }, money(r.vat)), h("td", { class: "num" }, money(r.gross))),
        ),
        { class: "revenue" },
      ),
    );
  }

  const show = h("button", { type: "submit" }, "Show");
  const form = h("form", { class: "filters" }, range.fields, field("Group by", group), show);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  group.addEventListener("change", load);

  const csvOut = h("p", { class: "notice", hidden: true });
  const paymentsCsv = h("button", { type: "button", class: "secondary", "data-action": "payments-csv" }, "Download payments (CSV)");
  paymentsCsv.addEventListener("click", () =>
    act(paymentsCsv, csvOut, async () => {
      const period = range.value();
      const { paymentsCsv: text } = await gql("PaymentsCsv", { range: period });
      download(`payments-${range.from.value}-to-${range.to.value}.csv`, text);
      return text;
    }, (text) => `Downloaded ${Math.max(0, text.trim().split("\n").length - 1)} payments.`),
  );
  const tableCsv = h("button", { type: "button", class: "secondary", "data-action": "revenue-csv" }, "Download this report (CSV)");
  tableCsv.addEventListener("click", () => {
    if (!current) return notice(csvOut, "Show a report first.", "error");
    const r = current.report;
    download(
      `revenue-by-${group.value.toLowerCase()}-${range.from.value}-to-${range.to.value}.csv`,
      csvOf(
        ["group", "label", "sessions", ...PARTS.map(([k]) => k), "net", "vat", "gross", "currency"],
        r.rows.map((row) => [row.key, row.label, row.sessions, ...PARTS.map(([k]) => row[k].amount), row.net.amount, row.vat.amount, row.gross.amount, row.gross.currency]),
      ),
    );
    notice(csvOut, `Downloaded ${r.rows.length} rows.`, "ok");
  });

  await load();
  return h("section", {}, h("h1", {}, "Revenue"), form, out, h("div", { class: "downloads" }, paymentsCsv, tableCsv, csvOut), results);
}
