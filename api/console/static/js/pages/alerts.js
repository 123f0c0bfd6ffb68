// Alerts: the live feed (alertFeed) over the stored list, acknowledge and resolve, and the alert
// rules in force per organisation or site.

import { gql, session, subscribe } from "../api.js";
import { act, badge, clear, errorText, field, h, notice, num, select, table, when, words } from "../ui.js";
import { loadAllStations } from "./overview.js";

const KINDS = {
  OVERHEATING: ["°C", "Connector temperature at or above the threshold"],
  LOW_EFFICIENCY: ["%", "Efficiency below the threshold"],
  VOLTAGE_OUT_OF_RANGE: ["%", "Voltage further than the threshold from nominal"],
  PHASE_IMBALANCE: ["%", "Phase currents further apart than the threshold"],
  NO_ENERGY_FLOW: ["W", "Charging but drawing less than the threshold"],
  ENERGY_REGISTER_BACKWARDS: ["Wh", "Energy register going backwards by more than the threshold"],
  FAULTED: ["", "A connector reports a fault"],
  OFFLINE: ["s", "The station has not been heard from"],
  SECURITY_EVENT: ["", "The station reports a security event"],
};

/** Acknowledge and resolve buttons for one alert (none for a viewer). */
export function alertActions(alert, onUpdated) {
  if (!session.canAct || alert.state === "RESOLVED") return null;
  const out = h("span", { class: "notice", hidden: true });
  const ack =
    alert.state === "RAISED"
      ? h(
          "button",
          {
            type: "button",
            "data-action": "acknowledge",
            onclick: async (e) => {
              const r = await act(e.currentTarget, out, () => gql("AcknowledgeAlert", { id: alert.id }), "Acknowledged.");
              if (r) onUpdated(r.acknowledgeAlert.alert);
            },
          },
          "Acknowledge",
        )
      : null;
  const resolve = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-action": "resolve",
      onclick: async (e) => {
        const r = await act(e.currentTarget, out, () => gql("ResolveAlert", { id: alert.id }), "Resolved.");
        if (r) onUpdated(r.resolveAlert.alert);
      },
    },
    "Resolve",
  );
  return h("span", { class: "actions" }, ack, resolve, out);
}

export async function alertsPage(scope) {
  const [sitesData, stationList] = await Promise.all([gql("ConsoleSites"), loadAllStations()]);
  const stationNames = new Map(stationList.map((s) => [s.id, s.name]));
  const state = select([["OPEN", "Open (raised or acknowledged)"], ["RAISED", "Raised"], ["ACKNOWLEDGED", "Acknowledged"], ["RESOLVED", "Resolved"], ["", "All"]], "OPEN", { name: "state" });
  const out = h("p", { class: "notice", hidden: true });
  const listEl = h("div");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show older alerts");
  const alerts = new Map();
  let after = null;

  const visible = (a) => {
    if (state.value === "OPEN") return a.state !== "RESOLVED";
    return !state.value || a.state === state.value;
  };

  function render() {
    const rows = [...alerts.values()]
      .filter(visible)
      .sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt))
      .map((a) =>
        h(
          "tr",
          { "data-alert-id": a.id, class: `severity-${a.severity.toLowerCase()}` },
          h("td", {}, when(a.raisedAt)),
          h("td", {}, h("a", { href: `#/stations/${a.stationId}` }, stationNames.get(a.stationId) || a.stationId), a.connectorId ? ` · connector ${a.connectorId}` : ""),
          h("td", {}, words(a.kind)),
          h("td", {}, badge(a.severity, "severity")),
          h("td", { "data-field": "state" }, badge(a.state, "alert")),
          h("td", {}, a.message),
          h("td", {}, alertActions(a, (updated) => {
            alerts.set(a.id, { ...a, ...updated });
            render();
          })),
        ),
      );
    clear(listEl, rows.length ? table(["Raised", "Station", "Kind", "Severity", "State", "Message", ""], rows, { class: "alerts" }) : h("p", { class: "muted" }, "No alerts in this view."));
  }

  async function load(reset) {
    if (reset) {
      alerts.clear();
      after = null;
    }
    try {
      const apiState = state.value === "OPEN" ? null : state.value || null;
      const data = await gql("Alerts", { state: apiState, first: 50, after });
      for (const e of data.alerts.edges) alerts.set(e.node.id, e.node);
      after = data.alerts.pageInfo.endCursor;
      more.hidden = !data.alerts.pageInfo.hasNextPage;
      render();
    } catch (error) {
      notice(out, errorText(error), "error");
    }
  }
  state.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));
  await load(true);

  scope.add(
    subscribe(
      "AlertFeed",
      {},
      ({ alertFeed: a }) => {
        alerts.set(a.id, { ...alerts.get(a.id), ...a });
        render();
        if (a.state === "RAISED") notice(out, `New alert: ${words(a.kind)} at ${stationNames.get(a.stationId) || "a station"}: ${a.message}`, "warn");
      },
      (error) => notice(out, `Live alerts stopped: ${errorText(error)}`, "error"),
    ),
  );

  return h(
    "section",
    {},
    h("h1", {}, "Alerts"),
    out,
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() }, field("Show", state)),
    listEl,
    more,
    await rulesSection(sitesData.sites),
  );
}

async function rulesSection(sites) {
  const scopeSelect = select([["", "The organisation (all sites)"], ...sites.map((s) => [s.id, `Site: ${s.name}`])], "", { name: "ruleScope" });
  const body = h("div");
  async function load() {
    try {
      const { alertRules } = await gql("AlertRules", { siteId: scopeSelect.value || null });
      clear(body, table(["Kind", "Threshold", "For at least", "Severity", "Enabled", "Set for", ""], alertRules.map((r) => ruleRow(r, scopeSelect.value || null, load)), { class: "rules" }));
    } catch (error) {
      clear(body, h("p", { class: "notice error", role: "alert" }, errorText(error)));
    }
  }
  scopeSelect.addEventListener("change", load);
  await load();
  return h(
    "section",
    { "aria-labelledby": "rules-title" },
    h("h2", { id: "rules-title" }, "Alert rules"),
    h("p", { class: "muted" }, "The rule in force for each kind of alert: a site's own, else the organisation's, else laddnet's default."),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() }, field("Rules of", scopeSelect)),
    body,
  );
}

function ruleRow(rule, siteId, reload) {
  const [unit, help] = KINDS[rule.kind] || ["", ""];
  const label = words(rule.kind);
  if (!session.canAct) {
    return h(
      "tr",
      {},
      h("th", { scope: "row", title: help }, label),
      h("td", {}, unit ? num(rule.threshold, 1, unit) : "—"),
      h("td", {}, `${rule.durationSeconds} s`),
      h("td", {}, badge(rule.severity, "severity")),
      h("td", {}, rule.enabled ? "Yes" : "No"),
      h("td", {}, words(rule.setFor)),
      h("td", {}),
    );
  }
  const threshold = h("input", { type: "number", step: "any", value: rule.threshold, "aria-label": `${label} threshold${unit ? ` in ${unit}` : ""}`, class: "narrow" });
  const seconds = h("input", { type: "number", min: 0, step: 1, value: rule.durationSeconds, "aria-label": `${label}: seconds the condition must hold`, class: "narrow" });
  const severity = select(["INFO", "WARNING", "CRITICAL"].map((s) => [s, words(s)]), rule.severity, { "aria-label": `${label} severity` });
  const enabled = h("input", { type: "checkbox", checked: rule.enabled, "aria-label": `${label} enabled` });
  const out = h("span", { class: "notice", hidden: true });
  const save = h(
    "button",
    {
      type: "button",
      "data-action": "save-rule",
      onclick: async (e) => {
        const r = await act(
          e.currentTarget,
          out,
          () =>
            gql("SetAlertRule", {
              input: {
                kind: rule.kind,
                threshold: Number(threshold.value),
                durationSeconds: Number(seconds.value),
                severity: severity.value,
                enabled: enabled.checked,
                siteId,
              },
            }),
          "Saved.",
        );
        if (r) setTimeout(reload, 800);
      },
    },
    "Save",
  );
  return h(
    "tr",
    { "data-rule": rule.kind },
    h("th", { scope: "row", title: help }, label),
    h("td", {}, threshold, unit ? ` ${unit}` : ""),
    h("td", {}, seconds, " s"),
    h("td", {}, severity),
    h("td", {}, enabled),
    h("td", {}, words(rule.setFor)),
    h("td", {}, save, out),
  );
}
