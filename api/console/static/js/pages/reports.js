// Reports: usage and uptime by station, site or period; the peak-hours heat map; bottlenecks with
// their advice. Charts carry their names, legends and units, and scales that fit the data.

import { gql } from "../api.js";
import { PALETTE, chart, clear, errorText, field, h, money, notice, num, rangeInputs, select, table, valueAxis, words } from "../ui.js";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export async function reportsPage(scope) {
  const sites = (await gql("ConsoleSites")).sites;
  const range = rangeInputs(30);
  const group = select([["STATION", "Station"], ["SITE", "Site"], ["DAY", "Day"], ["WEEK", "Week"], ["MONTH", "Month"]], "STATION", { name: "groupBy" });
  const site = select([["", "All sites"], ...sites.map((s) => [s.id, s.name])], "", { name: "site" });
  const out = h("p", { class: "notice", hidden: true });
  const usage = h("section", { "aria-labelledby": "usage-title" });
  const peak = h("section", { "aria-labelledby": "peak-title" });
  const bottlenecks = h("section", { "aria-labelledby": "bottlenecks-title" });
  const charts = { closers: [], add(f) { this.closers.push(f); }, close() { this.closers.splice(0).forEach((f) => f()); } };
  scope.add(() => charts.close());

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
    const siteId = site.value || null;
    const [u, p, b] = await Promise.allSettled([
      gql("UsageReport", { range: period, groupBy: group.value, siteId }),
      gql("PeakHours", { range: period, siteId }),
      gql("Bottlenecks", { range: period }),
    ]);
    renderUsage(u);
    renderPeak(p);
    renderBottlenecks(b);
  }

  function failed(el, title, id, result) {
    clear(el, h("h2", { id }, title), h("p", { class: "notice error", role: "alert" }, errorText(result.reason)));
  }

  function renderUsage(result) {
    if (result.status === "rejected") return failed(usage, "Usage and uptime", "usage-title", result);
    const report = result.value.usageReport;
    const rows = report.rows;
    const t = report.totals;
    const summary = h(
      "div",
      { class: "tiles" },
      [
        ["Sessions", String(t.sessions)],
        ["Energy", num(t.energyKwh, 1, "kWh")],
        ["Utilisation", num(t.utilizationPercent, 1, "%")],
        ["Uptime", num(t.uptimePercent, 1, "%")],
        ["Revenue", money(t.revenue)],
      ].map(([label, value]) => h("div", { class: "tile" }, h("div", { class: "tile-value" }, value), h("div", { class: "tile-label" }, label))),
    );
    if (!rows.length) {
      clear(usage, h("h2", { id: "usage-title" }, "Usage and uptime"), summary, h("p", { class: "muted" }, "No usage in this period."));
      return;
    }
    const by = words(group.value).toLowerCase();
    const fig = chart(
      `Energy, utilisation and uptime by ${by}`,
      {
        data: {
          labels: rows.map((r) => r.label),
          datasets: [
            { type: "bar", label: "Energy (kWh)", data: rows.map((r) => r.energyKwh), yAxisID: "energy", backgroundColor: PALETTE[0], order: 2, maxBarThickness: 90 },
            { type: "line", label: "Utilisation (%)", data: rows.map((r) => r.utilizationPercent), yAxisID: "percent", borderColor: PALETTE[1], backgroundColor: PALETTE[1], order: 1 },
            { type: "line", label: "Uptime (%)", data: rows.map((r) => r.uptimePercent), yAxisID: "percent", borderColor: PALETTE[2], backgroundColor: PALETTE[2], borderDash: [6, 4], order: 1 },
          ],
        },
        options: {
          scales: {
            x: { title: { display: true, text: words(group.value) } },
            energy: { ...valueAxis("Energy (kWh)"), position: "left", beginAtZero: true },
            percent: { ...valueAxis("Percent of the time"), position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
          },
        },
      },
      charts,
      { height: 300, description: `Energy charged in kWh as bars, utilisation and uptime in percent as lines, by ${by}` },
    );
    clear(
      usage,
      h("h2", { id: "usage-title" }, "Usage and uptime"),
      summary,
      fig,
      table(
        [words(group.value), "Sessions", "Energy", "Charging", "Occupied", "Utilisation", "Uptime", "Revenue"],
        rows.map((r) =>
          h("tr", {}, h("th", { scope: "row" }, r.label), h("td", { class: "num" }, String(r.sessions)), h("td", { class: "num" }, num(r.energyKwh, 1, "kWh")), h("td", { class: "num" }, num(r.chargingHours, 1, "h")), h("td", { class: "num" }, num(r.occupiedHours, 1, "h")), h("td", { class: "num" }, num(r.utilizationPercent, 1, "%")), h("td", { class: "num" }, num(r.uptimePercent, 1, "%")), h("td", { class: "num" }, money(r.revenue))),
        ),
        { class: "usage" },
      ),
    );
  }

  function renderPeak(result) {
    if (result.status === "rejected") return failed(peak, "Peak hours", "peak-title", result);
    const grid = result.value.peakHours;
    const cells = new Map(grid.cells.map((c) => [`${c.weekday}-${c.hour}`, c]));
    const max = Math.max(1, ...grid.cells.map((c) => c.occupancyPercent));
    const top = Math.min(100, Math.ceil(max / 10) * 10);
    const shade = (v) => `hsl(24 90% ${Math.round(97 - (Math.min(v, top) / top) * 55)}%)`;
    const head = h("tr", {}, h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Day")), Array.from({ length: 24 }, (_, hr) => h("th", { scope: "col", class: "hour" }, String(hr).padStart(2, "0"))));
    const body = DAYS.map((day, i) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, day.slice(0, 3)),
        Array.from({ length: 24 }, (_, hr) => {
          const c = cells.get(`${i + 1}-${hr}`) || { occupancyPercent: 0, sessionsStarted: 0, energyKwh: 0 };
          const label = `${day} ${String(hr).padStart(2, "0")}:00: ${num(c.occupancyPercent, 0)} % occupied, ${c.sessionsStarted} sessions started, ${num(c.energyKwh, 1)} kWh`;
          const cell = h("td", { class: "heat", title: label, "aria-label": label }, c.occupancyPercent >= 1 ? String(Math.round(c.occupancyPercent)) : "");
          cell.style.background = shade(c.occupancyPercent);
          if (c.occupancyPercent > top * 0.6) cell.classList.add("dark");
          return cell;
        }),
      ),
    );
    const legend = h(
      "div",
      { class: "legend" },
      h("span", {}, "Occupied connector time:"),
      [0, 0.25, 0.5, 0.75, 1].map((f) => {
        const sw = h("span", { class: "swatch" });
        sw.style.background = shade(f * top);
        return h("span", { class: "legend-item" }, sw, `${Math.round(f * top)} %`);
      }),
    );
    clear(
      peak,
      h("h2", { id: "peak-title" }, "Peak hours"),
      h("p", { class: "muted" }, `Share of connector time occupied, by weekday and hour (${grid.timezone}).`),
      h("div", { class: "table-wrap" }, h("table", { class: "heatmap" }, h("caption", { class: "sr-only" }, "Peak hours heat map"), h("thead", {}, head), h("tbody", {}, body))),
      legend,
    );
  }

  function renderBottlenecks(result) {
    if (result.status === "rejected") return failed(bottlenecks, "Bottlenecks", "bottlenecks-title", result);
    const list = result.value.bottlenecks;
    clear(
      bottlenecks,
      h("h2", { id: "bottlenecks-title" }, "Bottlenecks"),
      list.length
        ? h(
            "ul",
            { class: "advice" },
            list.map((b) =>
              h(
                "li",
                { class: "card" },
                h("h3", {}, b.station ? `${b.station.name} (${b.site.name})` : b.site.name),
                h("p", {}, `Peak occupancy ${num(b.peakOccupancyPercent, 0)} %, ${num(b.hoursAtCapacity, 1)} hours at capacity.`),
                h("p", { class: "recommendation" }, b.recommendation),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No bottlenecks in this period: every site had free connectors when drivers came."),
    );
  }

  const form = h("form", { class: "filters" }, range.fields, field("Group usage by", group), field("Site", site), h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  group.addEventListener("change", load);
  site.addEventListener("change", load);
  await load();
  return h("section", {}, h("h1", {}, "Reports"), form, out, usage, peak, bottlenecks);
}
