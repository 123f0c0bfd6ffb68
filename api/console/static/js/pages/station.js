// One station: its connectors (live), telemetry charts over the last hours, status history,
// sessions (live, with remote stop), open alerts, and every command the API offers an operator.

import { gql, session, subscribe } from "../api.js";
import {
  PALETTE,
  act,
  badge,
  chart,
  clear,
  duration,
  errorText,
  field,
  h,
  money,
  notice,
  num,
  select,
  table,
  timeAxis,
  valueAxis,
  when,
  words,
} from "../ui.js";
import { alertActions } from "./alerts.js";
import { commandsSection, variablesSection } from "./commands.js";

const HOURS = [
  [1, "Last hour"],
  [6, "Last 6 hours"],
  [24, "Last 24 hours"],
  [72, "Last 3 days"],
];

const SERIES = [
  ["powerKw", "Power", "kW"],
  ["currentA", "Current", "A"],
  ["voltageV", "Voltage", "V"],
  ["temperatureC", "Temperature", "°C"],
];

export async function stationPage(scope, id) {
  const data = await gql("ConsoleStation", { id });
  const st = data.station;
  if (!st) {
    return h("section", {}, h("h1", {}, "Station not found"), h("p", {}, "No station of your organisation has this id. "), h("a", { href: "#/overview" }, "Back to the network"));
  }
  const out = h("p", { class: "notice", hidden: true });
  const connectors = new Map(st.connectors.map((c) => [c.connectorId, { ...c }]));
  const readings = new Map((st.health ? st.health.connectors : []).map((c) => [c.connectorId, { ...c }]));
  let online = st.online;

  // -- header and connectors ----------------------------------------------------------------
  const onlineBadge = h("span", { "data-field": "online" });
  const renderOnline = () => clear(onlineBadge, badge(online ? "ONLINE" : "OFFLINE", "conn"));
  renderOnline();
  const connectorBody = h("tbody");
  const renderConnectors = () =>
    clear(
      connectorBody,
      [...connectors.values()].map((c) => {
        const r = readings.get(c.connectorId) || {};
        return h(
          "tr",
          { "data-connector": c.connectorId },
          h("th", { scope: "row" }, String(c.connectorId)),
          h("td", {}, words(c.standard), ` · ${num(c.maxPowerKw, 0, "kW")}`),
          h("td", { "data-field": "status" }, badge(c.status), c.errorCode && c.errorCode !== "NoError" ? h("span", { class: "muted small" }, ` ${c.errorCode}`) : null),
          h("td", {}, when(c.statusSince)),
          h("td", { class: "num", "data-field": "power" }, num(r.powerKw, 1, "kW")),
          h("td", { class: "num" }, num(r.currentA, 1, "A")),
          h("td", { class: "num" }, num(r.voltageV, 0, "V")),
          h("td", { class: "num", "data-field": "temperature" }, num(r.temperatureC, 1, "°C")),
        );
      }),
    );
  renderConnectors();
  const connectorTable = table(["Connector", "Type", "Status", "Since", "Power", "Current", "Voltage", "Temperature"], []);
  connectorTable.querySelector("tbody").replaceWith(connectorBody);

  const facts = h(
    "dl",
    { class: "facts" },
    [
      ["Charge point id", st.chargePointId],
      ["Site", st.site.name],
      ["Health", st.health ? words(st.health.status) : "—"],
      ["OCPP", st.ocppVersion || "—"],
      ["Vendor / model", [st.vendor, st.model].filter(Boolean).join(" ") || "—"],
      ["Serial number", st.serialNumber || "—"],
      ["Firmware", st.firmwareVersion || "—"],
      ["Booted", when(st.bootedAt)],
      ["Last seen", when(st.lastSeenAt)],
      ["Tariff", st.tariff ? `${st.tariff.name}: ${st.tariff.summary}` : "None: sessions here are free"],
    ].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );

  // -- sessions ------------------------------------------------------------------------------
  const sessionsBody = h("div");
  const progress = new Map();
  const shown = new Map();
  async function loadSessions() {
    try {
      const page = await gql("ConsoleSessions", { stationId: id, first: 10 });
      renderSessions(page.sessions.edges.map((e) => e.node));
    } catch (error) {
      clear(sessionsBody, h("p", { class: "notice error", role: "alert" }, errorText(error)));
    }
  }
  let sessionsTimer = null;
  const reloadSessionsSoon = () => {
    clearTimeout(sessionsTimer);
    sessionsTimer = setTimeout(loadSessions, 300);
  };
  scope.add(() => clearTimeout(sessionsTimer));
  scope.add(() => progress.forEach((stop) => stop()));

  function renderSessions(list) {
    const rows = list.map((s) => {
      const statusCell = h("td", { "data-field": "status" }, badge(s.status, "session"));
      const energyCell = h("td", { class: "num" }, num(s.energyKwh, 2, "kWh"));
      const powerCell = h("td", { class: "num" }, num(s.powerKw, 1, "kW"));
      const costCell = h("td", { class: "num" }, money(s.cost));
      const durationCell = h("td", {}, duration(s.durationSeconds));
      const result = h("span", { class: "notice", hidden: true });
      const open = !["ENDED", "FAILED"].includes(s.status);
      const stop =
        open && session.canAct
          ? h("button", {
              type: "button",
              class: "danger",
              "data-action": "remote-stop",
              onclick: (e) =>
                act(e.currentTarget, result, () => gql("RemoteStop", { sessionId: s.id }), "The station was asked to stop; the session ends when it reports the stop."),
            }, "Remote stop")
          : null;
      shown.set(s.id, { statusCell, energyCell, powerCell, costCell, durationCell, stop });
      if (open && !progress.has(s.id)) {
        progress.set(
          s.id,
          subscribe("SessionProgress", { sessionId: s.id }, ({ sessionProgress: p }) => {
            const c = shown.get(s.id); // the row as rendered now (the list may have reloaded)
            clear(c.statusCell, badge(p.status, "session"));
            clear(c.energyCell, num(p.energyKwh, 2, "kWh"));
            clear(c.powerCell, num(p.powerKw, 1, "kW"));
            clear(c.costCell, money(p.cost));
            clear(c.durationCell, duration(p.durationSeconds));
            if (["ENDED", "FAILED"].includes(p.status)) {
              if (c.stop) c.stop.remove();
              progress.get(s.id)?.();
              progress.delete(s.id);
            }
          }),
        );
      }
      return h(
        "tr",
        { "data-session-id": s.id },
        h("td", {}, h("a", { href: `#/sessions/${s.id}` }, when(s.startedAt || s.createdAt))),
        h("td", {}, String(s.connectorId)),
        statusCell,
        energyCell,
        powerCell,
        durationCell,
        costCell,
        h("td", {}, stop, result),
      );
    });
    clear(
      sessionsBody,
      list.length ? table(["Started", "Connector", "Status", "Energy", "Power", "Duration", "Cost", ""], rows, { class: "sessions" }) : h("p", { class: "muted" }, "No sessions at this station yet."),
    );
  }
  await loadSessions();

  // -- alerts --------------------------------------------------------------------------------
  const alertsBody = h("div");
  const openAlerts = new Map(st.openAlerts.map((a) => [a.id, a]));
  const renderAlerts = () =>
    clear(
      alertsBody,
      openAlerts.size
        ? table(
            ["Raised", "Kind", "Severity", "State", "Message", ""],
            [...openAlerts.values()].map((a) =>
              h(
                "tr",
                { "data-alert-id": a.id },
                h("td", {}, when(a.raisedAt)),
                h("td", {}, words(a.kind)),
                h("td", {}, badge(a.severity, "severity")),
                h("td", {}, badge(a.state, "alert")),
                h("td", {}, a.message),
                h("td", {}, alertActions(a, (updated) => {
                  if (updated.state === "RESOLVED") openAlerts.delete(a.id);
                  else openAlerts.set(a.id, { ...a, ...updated });
                  renderAlerts();
                })),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No open alerts."),
    );
  renderAlerts();

  // -- telemetry charts and status history ---------------------------------------------------
  const hours = select(HOURS.map(([v, l]) => [String(v), l]), "6", { name: "hours" });
  const charts = h("div", { class: "chart-grid" });
  const history = h("div");
  const chartScope = { closers: [], add(fn) { this.closers.push(fn); }, close() { this.closers.splice(0).forEach((f) => f()); } };
  scope.add(() => chartScope.close());
  let liveCharts = [];

  function renderHistory(intervals) {
    const rows = intervals
      .slice()
      .sort((a, b) => Date.parse(b.from) - Date.parse(a.from))
      .map((i) =>
        h(
          "tr",
          {},
          h("td", {}, i.connectorId ? String(i.connectorId) : "Station"),
          h("td", {}, badge(i.status), i.errorCode && i.errorCode !== "NoError" ? ` ${i.errorCode}` : ""),
          h("td", {}, when(i.from)),
          h("td", {}, i.to ? when(i.to) : "now"),
          h("td", {}, duration(Math.round(((i.to ? Date.parse(i.to) : Date.now()) - Date.parse(i.from)) / 1000))),
        ),
      );
    clear(history, rows.length ? table(["Connector", "Status", "From", "To", "For"], rows, { class: "history" }) : h("p", { class: "muted" }, "No status changes in this period."));
  }
  let historyTimer = null;
  scope.add(() => clearTimeout(historyTimer));
  const reloadHistorySoon = () => {
    clearTimeout(historyTimer);
    historyTimer = setTimeout(async () => {
      const from = new Date(Date.now() - Number(hours.value) * 3_600_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      try {
        renderHistory((await gql("StationTelemetry", { stationId: id, range: { from, to } })).station.statusHistory);
      } catch (error) {
        notice(out, `Status history: ${errorText(error)}`, "error");
      }
    }, 500);
  };

  async function loadTelemetry() {
    const to = new Date(Date.now() + 60_000);
    const from = new Date(Date.now() - Number(hours.value) * 3_600_000);
    chartScope.close();
    clear(charts, h("p", { class: "loading" }, "Loading telemetry…"));
    let detail;
    try {
      detail = (await gql("StationTelemetry", { stationId: id, range: { from: from.toISOString(), to: to.toISOString() } })).station;
    } catch (error) {
      clear(charts, h("p", { class: "notice error", role: "alert" }, errorText(error)));
      return;
    }
    const ids = [...new Set([...connectors.keys(), ...detail.telemetry.map((t) => t.connectorId)])].sort((a, b) => a - b);
    liveCharts = SERIES.map(([key, label, unit]) => {
      const datasets = ids.map((cid, i) => ({
        label: `Connector ${cid}`,
        connectorId: cid,
        data: detail.telemetry
          .filter((t) => t.connectorId === cid && t[key] !== null && t[key] !== undefined)
          .map((t) => ({ x: Date.parse(t.at), y: t[key] })),
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: 1.5,
        borderWidth: 2,
        tension: 0.2,
      }));
      const empty = datasets.every((d) => !d.data.length);
      const fig = chart(
        `${label} (${unit})`,
        {
          type: "line",
          data: { datasets },
          options: {
            parsing: false,
            scales: {
              x: { ...timeAxis("Time", Date.now() - from.getTime()), min: from.getTime(), max: Date.now() },
              y: valueAxis(`${label} (${unit})`, key === "voltageV" ? {} : { beginAtZero: true }),
            },
          },
        },
        chartScope,
        { description: `${label} of each connector over the ${hours.selectedOptions[0].textContent.toLowerCase()}` },
      );
      if (empty) fig.append(h("p", { class: "muted small" }, `No ${label.toLowerCase()} readings in this period.`));
      return { key, fig };
    });
    clear(charts, liveCharts.map((c) => c.fig));

    renderHistory(detail.statusHistory);
  }
  hours.addEventListener("change", loadTelemetry);
  await loadTelemetry();

  const variables = await variablesSection(st, session.canAct);

  // -- live ------------------------------------------------------------------------------------
  scope.add(
    subscribe(
      "StationEvents",
      { siteId: st.site.id },
      ({ stationEvents: e }) => {
        if (e.stationId !== id) return;
        if (e.__typename === "StationConnectivityChanged") {
          online = e.online;
          renderOnline();
        } else if (e.__typename === "ConnectorStatusChanged") {
          const c = connectors.get(e.connectorId) || { connectorId: e.connectorId, standard: null, maxPowerKw: null };
          connectors.set(e.connectorId, { ...c, status: e.status, errorCode: e.errorCode, statusSince: e.at });
          renderConnectors();
          reloadSessionsSoon();
          reloadHistorySoon();
        } else if (e.__typename === "StationTelemetryUpdated") {
          online = true;
          renderOnline();
          const r = readings.get(e.connectorId) || { connectorId: e.connectorId };
          for (const [key] of SERIES) if (e[key] !== null && e[key] !== undefined) r[key] = e[key];
          readings.set(e.connectorId, r);
          renderConnectors();
          for (const { key, fig } of liveCharts) {
            if (e[key] === null || e[key] === undefined) continue;
            const ds = fig.chart.data.datasets.find((d) => d.connectorId === e.connectorId);
            if (!ds) continue;
            ds.data.push({ x: Date.parse(e.at), y: e[key] });
            fig.chart.options.scales.x.max = Math.max(Date.now(), Date.parse(e.at));
            fig.chart.update("none");
          }
        }
      },
      (error) => notice(out, `Live updates stopped: ${errorText(error)}`, "error"),
    ),
  );
  scope.add(
    subscribe("AlertFeed", { siteId: st.site.id }, ({ alertFeed: a }) => {
      if (a.stationId !== id) return;
      if (a.state === "RESOLVED") openAlerts.delete(a.id);
      else openAlerts.set(a.id, { ...openAlerts.get(a.id), ...a });
      renderAlerts();
    }),
  );

  return h(
    "section",
    { class: "station", "data-station-id": id },
    h("p", { class: "crumbs" }, h("a", { href: "#/overview" }, "Network"), " › ", st.site.name),
    h("h1", {}, st.name, " ", onlineBadge),
    out,
    facts,
    h("h2", {}, "Connectors"),
    connectorTable,
    session.canAct ? commandsSection(st, connectors, reloadSessionsSoon) : null,
    variables,
    h("h2", {}, "Sessions"),
    sessionsBody,
    h("h2", {}, "Open alerts"),
    alertsBody,
    h("div", { class: "section-head" }, h("h2", {}, "Telemetry"), field("Period", hours)),
    charts,
    h("h2", {}, "Status history"),
    history,
  );
}
