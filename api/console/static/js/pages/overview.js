// The network at a glance: every site's stations with status, health, power and temperature,
// kept current by stationEvents and alertFeed (no reloads), and filters that apply at once.

import { gql, subscribe } from "../api.js";
import { badge, clear, errorText, field, h, notice, num, select, table, when, words } from "../ui.js";

const HEALTH = ["OK", "DEGRADED", "FAULTED", "OFFLINE"];
const STATUSES = ["AVAILABLE", "CHARGING", "PREPARING", "SUSPENDED_EV", "SUSPENDED_EVSE", "FINISHING", "OCCUPIED", "RESERVED", "UNAVAILABLE", "FAULTED", "UNKNOWN"];

export async function loadAllStations(filter = null) {
  const nodes = [];
  let after = null;
  for (let page = 0; page < 100; page++) {
    const data = await gql("Stations", { filter, first: 100, after });
    nodes.push(...data.stations.edges.map((e) => e.node));
    if (!data.stations.pageInfo.hasNextPage) break;
    after = data.stations.pageInfo.endCursor;
  }
  return nodes;
}

/** A station as the overview keeps it, with the live readings folded in. */
class LiveStation {
  constructor(node) {
    this.node = node;
    this.online = node.online;
    this.connectors = new Map(node.connectors.map((c) => [c.connectorId, c.status]));
    this.power = new Map();
    this.temperature = new Map();
    this.alerts = new Map(node.openAlerts.map((a) => [a.id, a]));
    this.serverHealth = node.health ? node.health.status : null;
    this.lastEventAt = null;
  }
  get powerKw() {
    if (this.power.size) return [...this.power.values()].reduce((a, b) => a + (b || 0), 0);
    return this.node.health ? this.node.health.powerKw : null;
  }
  get temperatureC() {
    const known = [...this.temperature.values()].filter((t) => t !== null && t !== undefined);
    if (known.length) return Math.max(...known);
    return this.node.health ? this.node.health.temperatureC : null;
  }
  get health() {
    if (!this.online) return "OFFLINE";
    if ([...this.connectors.values()].includes("FAULTED")) return "FAULTED";
    if (this.alerts.size) return "DEGRADED";
    if (this.serverHealth === "DEGRADED" && !this.lastEventAt) return "DEGRADED";
    return "OK";
  }
  get statuses() {
    return [...this.connectors.values()];
  }
}

export async function overviewPage(scope) {
  const [sitesData, nodes] = await Promise.all([gql("ConsoleSites"), loadAllStations()]);
  const sites = sitesData.sites;
  const stations = new Map(nodes.map((n) => [n.id, new LiveStation(n)]));

  const siteFilter = select([["", "All sites"], ...sites.map((s) => [s.id, s.name])], "", { name: "site" });
  const healthFilter = select([["", "Any health"], ...HEALTH.map((x) => [x, words(x)])], "", { name: "health" });
  const statusFilter = select([["", "Any connector status"], ...STATUSES.map((x) => [x, words(x)])], "", { name: "status" });
  const search = h("input", { type: "search", name: "search", placeholder: "Name or charge point id" });
  const summary = h("div", { class: "tiles", "aria-live": "polite" });
  const body = h("tbody");
  const out = h("p", { class: "notice", hidden: true });
  const count = h("p", { class: "muted" });

  const rows = new Map();
  function cells(st) {
    const n = st.node;
    return [
      h("td", {}, h("a", { href: `#/stations/${n.id}` }, n.name), h("div", { class: "muted small" }, n.chargePointId)),
      h("td", {}, n.site.name),
      h("td", { "data-field": "online" }, badge(st.online ? "ONLINE" : "OFFLINE", "conn")),
      h("td", { "data-field": "health" }, badge(st.health, "health")),
      h("td", { "data-field": "power", class: "num" }, num(st.powerKw, 1, "kW")),
      h("td", { "data-field": "temperature", class: "num" }, num(st.temperatureC, 1, "°C")),
      h(
        "td",
        { "data-field": "connectors" },
        [...st.connectors.entries()].map(([id, status]) =>
          h("span", { class: `badge status-${String(status).toLowerCase()}`, title: `Connector ${id}: ${words(status)}` }, `${id}: ${words(status)}`),
        ),
      ),
      h("td", { "data-field": "alerts", class: "num" }, st.alerts.size ? h("a", { href: "#/alerts", class: "alert-count" }, String(st.alerts.size)) : "0"),
    ];
  }
  function matches(st) {
    const n = st.node;
    if (siteFilter.value && n.site.id !== siteFilter.value) return false;
    if (healthFilter.value && st.health !== healthFilter.value) return false;
    if (statusFilter.value && !st.statuses.includes(statusFilter.value)) return false;
    const q = search.value.trim().toLowerCase();
    if (q && !n.name.toLowerCase().includes(q) && !n.chargePointId.toLowerCase().includes(q)) return false;
    return true;
  }
  function renderRow(st) {
    let tr = rows.get(st.node.id);
    if (!tr) {
      tr = h("tr", { "data-station-id": st.node.id });
      rows.set(st.node.id, tr);
    }
    clear(tr, cells(st));
    tr.hidden = !matches(st);
    return tr;
  }
  function renderSummary() {
    const all = [...stations.values()];
    const online = all.filter((s) => s.online).length;
    const charging = all.reduce((a, s) => a + s.statuses.filter((x) => x === "CHARGING").length, 0);
    const power = all.reduce((a, s) => a + (s.online ? s.powerKw || 0 : 0), 0);
    const alerts = all.reduce((a, s) => a + s.alerts.size, 0);
    clear(
      summary,
      tile("Stations online", `${online} of ${all.length}`, "online"),
      tile("Connectors charging", String(charging), "charging"),
      tile("Power drawn", num(power, 1, "kW"), "power"),
      tile("Open alerts", String(alerts), "alerts"),
    );
    const shown = [...rows.values()].filter((r) => !r.hidden).length;
    count.textContent = `Showing ${shown} of ${all.length} stations.`;
  }
  function renderAll() {
    clear(body, [...stations.values()].sort((a, b) => a.node.name.localeCompare(b.node.name)).map(renderRow));
    renderSummary();
  }
  for (const control of [siteFilter, healthFilter, statusFilter]) control.addEventListener("change", renderAll);
  search.addEventListener("input", renderAll);
  renderAll();

  function update(id, fn) {
    const st = stations.get(id);
    if (!st) return;
    fn(st);
    renderRow(st);
    renderSummary();
  }
  scope.add(
    subscribe(
      "StationEvents",
      {},
      ({ stationEvents: e }) =>
        update(e.stationId, (st) => {
          st.lastEventAt = e.at;
          if (e.__typename === "StationConnectivityChanged") {
            st.online = e.online;
            if (!e.online) st.power.clear();
          } else if (e.__typename === "ConnectorStatusChanged") {
            st.connectors.set(e.connectorId, e.status);
            if (!["CHARGING", "SUSPENDED_EV", "SUSPENDED_EVSE"].includes(e.status)) st.power.set(e.connectorId, 0);
          } else if (e.__typename === "StationTelemetryUpdated") {
            st.online = true;
            if (e.powerKw !== null) st.power.set(e.connectorId, e.powerKw);
            if (e.temperatureC !== null) st.temperature.set(e.connectorId, e.temperatureC);
          }
        }),
      (error) => notice(out, `Live updates stopped: ${errorText(error)}`, "error"),
    ),
  );
  scope.add(
    subscribe(
      "AlertFeed",
      {},
      ({ alertFeed: a }) =>
        update(a.stationId, (st) => {
          if (a.state === "RESOLVED") st.alerts.delete(a.id);
          else st.alerts.set(a.id, a);
        }),
      (error) => notice(out, `Live alerts stopped: ${errorText(error)}`, "error"),
    ),
  );

  return withBody(body);

  function withBody(tbody) {
    const section = h(
      "section",
      {},
      h("h1", {}, "Network"),
      h("p", { class: "muted" }, `${sites.length} ${sites.length === 1 ? "site" : "sites"} · updated live · `, h("span", {}, `loaded ${when(new Date().toISOString())}`)),
      summary,
      out,
      h(
        "form",
        { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
        field("Site", siteFilter),
        field("Health", healthFilter),
        field("Connector status", statusFilter),
        field("Search", search),
      ),
      count,
    );
    if (!nodes.length) {
      section.append(h("p", {}, "No stations yet: register one with the API's registerStation."));
      return section;
    }
    const wrap = table(["Station", "Site", "Connection", "Health", "Power", "Temperature", "Connectors", "Open alerts"], [], { class: "stations" });
    wrap.querySelector("tbody").replaceWith(tbody);
    section.append(wrap);
    return section;
  }
}

function tile(label, value, key) {
  return h("div", { class: "tile", "data-tile": key }, h("div", { class: "tile-value" }, value), h("div", { class: "tile-label" }, label));
}
