// A station's commands as the operator API offers them, each a small form that shows the station's
// answer (or the error) in words: remote start, reset, availability, unlock, trigger a message,
// diagnostics, firmware, the device model's variables (configuration keys on OCPP 1.6), charging
// profiles and the tariff.

import { gql } from "../api.js";
import { act, clear, errorText, field, h, select, table, when, words } from "../ui.js";

const STATUS = {
  ACCEPTED: "The station accepted it.",
  REJECTED: "The station rejected it.",
  NOT_SUPPORTED: "The station does not support this.",
  OFFLINE: "The station is offline: nothing was sent.",
  TIMED_OUT: "The station did not answer in time.",
  FAILED: "The station answered with an error.",
};

const TRIGGERS = [
  "BOOT_NOTIFICATION",
  "HEARTBEAT",
  "STATUS_NOTIFICATION",
  "METER_VALUES",
  "FIRMWARE_STATUS_NOTIFICATION",
  "LOG_STATUS_NOTIFICATION",
  "TRANSACTION_EVENT",
  "SIGN_CHARGING_STATION_CERTIFICATE",
];

const VARIABLE_STATUS = {
  ACCEPTED: "accepted",
  REJECTED: "rejected",
  UNKNOWN_COMPONENT: "unknown component",
  UNKNOWN_VARIABLE: "unknown variable",
  NOT_SUPPORTED: "not supported",
  REBOOT_REQUIRED: "accepted, takes effect after a reboot",
};

export function statusText(status) {
  return STATUS[status] || `The station answered ${words(status).toLowerCase()}.`;
}

function accepted(what) {
  return (result) => {
    const payload = Object.values(result)[0];
    return payload.accepted ? `The station accepted the ${what}.` : `The station rejected the ${what}.`;
  };
}

/** The answer of a command whose payload carries `status`. */
function answered(result) {
  return statusText(Object.values(result)[0].status);
}

/** One command: a small form, its button, and the station's answer or the error in words. */
function command(title, controls, label, run, ok, action) {
  const out = h("p", { class: "notice", hidden: true });
  const button = h("button", { type: "submit", "data-action": action }, label);
  const form = h("form", { class: "command card", "aria-label": title }, h("h3", {}, title), controls, button, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    act(button, out, run, ok);
  });
  return form;
}

export function commandsSection(st, connectors, reloadSessions) {
  const ids = [...connectors.keys()];
  const connectorOptions = ids.map((c) => [String(c), `Connector ${c}`]);
  const first = connectorOptions[0] && connectorOptions[0][0];

  const startConnector = select(connectorOptions, first, { name: "connectorId" });
  const idTag = h("input", { name: "idTag", required: true, maxlength: 20, placeholder: "e.g. an RFID card's id" });
  const remoteStart = command(
    "Remote start",
    [field("Connector", startConnector), field("Id tag", idTag, "The token the session is authorised and billed with")],
    "Start charging",
    async () => {
      const result = await gql("RemoteStart", { input: { stationId: st.id, connectorId: Number(startConnector.value), idTag: idTag.value.trim() } });
      reloadSessions();
      return result;
    },
    (r) => `The station accepted the remote start: session ${r.remoteStart.session.id} is ${words(r.remoteStart.session.status).toLowerCase()}.`,
    "remote-start",
  );

  const resetKind = select([["false", "Soft (restart the software)"], ["true", "Hard (reboot)"]], "false", { name: "hard" });
  const reset = command("Reset", [field("Kind", resetKind)], "Reset station", () => gql("ResetStation", { stationId: st.id, hard: resetKind.value === "true" }), accepted("reset"), "reset");

  const availConnector = select([["", "The whole station"], ...connectorOptions], "", { name: "connectorId" });
  const availability = select([["true", "Available (operative)"], ["false", "Unavailable (inoperative)"]], "false", { name: "available" });
  const changeAvailability = command(
    "Availability",
    [field("Applies to", availConnector), field("Make it", availability)],
    "Change availability",
    () => gql("ChangeAvailability", { stationId: st.id, connectorId: availConnector.value ? Number(availConnector.value) : null, available: availability.value === "true" }),
    accepted("availability change"),
    "availability",
  );

  const unlockConnector = select(connectorOptions, first, { name: "connectorId" });
  const unlock = command(
    "Unlock connector",
    [field("Connector", unlockConnector, "Releases a cable stuck in the socket")],
    "Unlock",
    () => gql("UnlockConnector", { stationId: st.id, connectorId: Number(unlockConnector.value) }),
    answered,
    "unlock",
  );

  const message = select(TRIGGERS.map((m) => [m, words(m)]), "STATUS_NOTIFICATION", { name: "message" });
  const triggerConnector = select([["", "Any / the whole station"], ...connectorOptions], "", { name: "connectorId" });
  const trigger = command(
    "Trigger a message",
    [field("Message", message), field("Connector", triggerConnector)],
    "Trigger",
    () => gql("TriggerMessage", { input: { stationId: st.id, message: message.value, connectorId: triggerConnector.value ? Number(triggerConnector.value) : null } }),
    answered,
    "trigger",
  );

  const diagnostics = command(
    "Diagnostics",
    [h("p", { class: "muted small" }, "The station uploads its diagnostics file to laddnet's upload location.")],
    "Request diagnostics",
    () => gql("RequestDiagnostics", { stationId: st.id }),
    (r) => {
      const q = r.requestDiagnostics.request;
      return `Requested (${words(q.status).toLowerCase()})${q.fileName ? `: the station will upload ${q.fileName}` : ""}.`;
    },
    "diagnostics",
  );

  const location = h("input", { type: "url", name: "location", required: true, placeholder: "https://…/firmware.bin" });
  const retrieveAt = h("input", { type: "datetime-local", name: "retrieveAt" });
  const firmware = command(
    "Firmware update",
    [field("Firmware location", location), field("Download at", retrieveAt, "Left empty: now")],
    "Update firmware",
    () => gql("UpdateFirmware", { stationId: st.id, location: location.value.trim(), retrieveAt: retrieveAt.value ? new Date(retrieveAt.value).toISOString() : null }),
    accepted("firmware update"),
    "firmware",
  );

  const profileConnector = select([["0", "The whole station"], ...connectorOptions], "0", { name: "connectorId" });
  const purpose = select(
    [
      ["CHARGING_STATION_MAX_PROFILE", "Station maximum"],
      ["TX_DEFAULT_PROFILE", "Default for sessions"],
      ["TX_PROFILE", "The running session"],
    ],
    "TX_DEFAULT_PROFILE",
    { name: "purpose" },
  );
  const unit = select([["W", "Watts (W)"], ["A", "Amperes per phase (A)"]], "W", { name: "chargingRateUnit" });
  const limit = h("input", { type: "number", name: "limit", min: 0, step: "any", required: true, placeholder: "e.g. 11000" });
  const profile = command(
    "Charging limit",
    [field("Applies to", profileConnector), field("Purpose", purpose), field("Unit", unit), field("Limit", limit)],
    "Set limit",
    () =>
      gql("SetChargingProfile", {
        stationId: st.id,
        input: {
          connectorId: Number(profileConnector.value),
          purpose: purpose.value,
          chargingRateUnit: unit.value,
          periods: [{ startPeriodSeconds: 0, limit: Number(limit.value) }],
        },
      }),
    (r) => {
      const p = r.setChargingProfile;
      return `${statusText(p.status)}${p.profile ? ` Profile ${p.profile.id}.` : ""}`;
    },
    "set-profile",
  );
  const clearProfile = command(
    "Clear charging limits",
    [h("p", { class: "muted small" }, "Clears the profiles of the connector and purpose chosen under Charging limit.")],
    "Clear limits",
    () => gql("ClearChargingProfile", { stationId: st.id, connectorId: Number(profileConnector.value), purpose: purpose.value }),
    answered,
    "clear-profile",
  );

  const tariffSelect = select([["", "Loading tariffs…"]], "", { name: "tariffId", required: true });
  gql("ConsoleTariffs")
    .then(({ tariffs }) =>
      clear(
        tariffSelect,
        tariffs.length
          ? tariffs.map((t) => h("option", { value: t.id, selected: st.tariff && st.tariff.id === t.id }, `${t.name} (${t.currency})`))
          : h("option", { value: "" }, "No tariffs yet: create one under Tariffs & plans"),
      ),
    )
    .catch((error) => clear(tariffSelect, h("option", { value: "" }, errorText(error))));
  const assign = command(
    "Tariff",
    [field("Price sessions here with", tariffSelect)],
    "Assign tariff",
    () => gql("AssignTariff", { stationId: st.id, tariffId: tariffSelect.value }),
    (r) => `Sessions here are now priced with ${r.assignTariff.station.tariff.name}.`,
    "assign-tariff",
  );

  return h(
    "section",
    { class: "commands", "aria-labelledby": "commands-title" },
    h("h2", { id: "commands-title" }, "Commands"),
    h("div", { class: "command-grid" }, remoteStart, reset, changeAvailability, unlock, trigger, diagnostics, firmware, profile, clearProfile, assign),
  );
}

/** The device model as the station last reported it, with reading and setting one variable. */
export async function variablesSection(st, canAct) {
  const body = h("div");
  const out = h("p", { class: "notice", hidden: true });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show more");
  let after = null;
  let rows = [];

  async function load(reset) {
    if (reset) {
      rows = [];
      after = null;
    }
    try {
      const data = (await gql("StationVariables", { stationId: st.id, first: 100, after })).station;
      rows.push(...data.variables.edges.map((e) => e.node));
      after = data.variables.pageInfo.endCursor;
      more.hidden = !data.variables.pageInfo.hasNextPage;
      clear(
        body,
        rows.length
          ? table(
              ["Component", "Variable", "Value", "Mutability", "Reported"],
              rows.map((v) =>
                h(
                  "tr",
                  {},
                  h("td", {}, v.component, v.instance ? ` (${v.instance})` : "", v.evseId ? ` · EVSE ${v.evseId}` : ""),
                  h("td", {}, v.variable),
                  h("td", { class: "value" }, v.value ?? "—"),
                  h("td", {}, v.mutability ? words(v.mutability) : "—"),
                  h("td", {}, when(v.reportedAt)),
                ),
              ),
              { class: "variables" },
            )
          : h("p", { class: "muted" }, `${st.name} has reported no settings yet${canAct ? ": ask it for a report" : ""}.`),
      );
    } catch (error) {
      clear(body, h("p", { class: "notice error", role: "alert" }, errorText(error)));
    }
  }
  more.addEventListener("click", () => load(false));
  await load(true);

  const parts = [h("h2", { id: "variables-title" }, "Settings (device model)"), body, more];
  if (canAct) {
    const component = h("input", { name: "component", required: true, placeholder: st.ocppVersion === "1.6" ? "(1.6: any, e.g. Config)" : "e.g. OCPPCommCtrlr", value: st.ocppVersion === "1.6" ? "Config" : "" });
    const variable = h("input", { name: "variable", required: true, placeholder: "e.g. HeartbeatInterval" });
    const value = h("input", { name: "value", placeholder: "the new value" });
    const readButton = h("button", { type: "button", class: "secondary", "data-action": "get-variable" }, "Read from station");
    const setButton = h("button", { type: "submit", "data-action": "set-variable" }, "Set");
    const form = h("form", { class: "card grid-form", "aria-label": "Read or set a setting" }, h("h3", {}, "Read or set a setting"), field("Component", component), field("Variable", variable, st.ocppVersion === "1.6" ? "On OCPP 1.6: the configuration key" : null), field("Value", value), h("div", { class: "form-end" }, readButton, setButton, out));
    const ref = () => ({ component: component.value.trim(), variable: variable.value.trim() });
    readButton.addEventListener("click", () =>
      act(readButton, out, () => gql("GetVariables", { stationId: st.id, variables: [ref()] }), (r) => {
        const [res] = r.getVariables.results;
        if (!res) return "The station answered nothing for it.";
        return res.status === "ACCEPTED" ? `${res.component}.${res.variable} = ${res.value ?? "(empty)"}` : `${res.component}.${res.variable}: ${VARIABLE_STATUS[res.status] || words(res.status)}.`;
      }),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const r = await act(setButton, out, () => gql("SetVariables", { stationId: st.id, variables: [{ ...ref(), value: value.value }] }), (res) => {
        const [x] = res.setVariables.results;
        if (!x) return "The station answered nothing for it.";
        return `${x.component}.${x.variable}: ${VARIABLE_STATUS[x.status] || words(x.status)}${x.rebootRequired ? " (after a reboot)" : ""}.`;
      });
      if (r) load(true);
    });
    const reportKind = select([["CONFIGURATION_INVENTORY", "Configuration"], ["FULL_INVENTORY", "Full inventory"], ["SUMMARY_INVENTORY", "Summary"]], "CONFIGURATION_INVENTORY", { name: "report" });
    const reportOut = h("p", { class: "notice", hidden: true });
    const reportButton = h("button", { type: "submit", class: "secondary", "data-action": "station-report" }, "Ask for a report");
    const reportForm = h("form", { class: "filters", "aria-label": "Ask for a report" }, field("Report", reportKind), reportButton, reportOut);
    reportForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const r = await act(reportButton, reportOut, () => gql("RequestStationReport", { stationId: st.id, report: reportKind.value }), (res) => `${statusText(res.requestStationReport.status)} The settings arrive in parts; this list reloads in a few seconds.`);
      if (r) setTimeout(() => load(true), 3000);
    });
    parts.push(reportForm, form);
  }
  return h("section", { class: "variables-section", "aria-labelledby": "variables-title" }, parts);
}

