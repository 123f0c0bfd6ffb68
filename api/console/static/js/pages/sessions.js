// Sessions: the organisation's sessions with filters, and one session's detail: meter curve,
// cost lines, payment, receipt, refund, and (while it runs) its live progress and remote stop.

import { gql, session as auth, subscribe } from "../api.js";
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
import { loadAllStations } from "./overview.js";

const OPEN = (status) => !["ENDED", "FAILED"].includes(status);

export async function sessionsPage() {
  const stations = await loadAllStations();
  const stationSelect = select([["", "All stations"], ...stations.map((s) => [s.id, s.name])], "", { name: "station" });
  const activeSelect = select([["", "Any"], ["true", "Running"], ["false", "Finished"]], "", { name: "active" });
  const listEl = h("div");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show older sessions");
  const total = h("p", { class: "muted" });
  let after = null;
  let rows = [];

  async function load(reset) {
    if (reset) {
      rows = [];
      after = null;
    }
    try {
      const data = await gql("ConsoleSessions", {
        stationId: stationSelect.value || null,
        active: activeSelect.value ? activeSelect.value === "true" : null,
        first: 25,
        after,
      });
      rows.push(...data.sessions.edges.map((e) => e.node));
      after = data.sessions.pageInfo.endCursor;
      more.hidden = !data.sessions.pageInfo.hasNextPage;
      total.textContent = data.sessions.totalCount === null ? "" : `${data.sessions.totalCount} sessions match.`;
      clear(
        listEl,
        rows.length
          ? table(
              ["Started", "Station", "Connector", "Status", "Energy", "Duration", "Cost", "Payment"],
              rows.map((s) =>
                h(
                  "tr",
                  { "data-session-id": s.id },
                  h("td", {}, h("a", { href: `#/sessions/${s.id}` }, when(s.startedAt || s.createdAt))),
                  h("td", {}, s.station.name),
                  h("td", {}, String(s.connectorId)),
                  h("td", {}, badge(s.status, "session")),
                  h("td", { class: "num" }, num(s.energyKwh, 2, "kWh")),
                  h("td", {}, duration(s.durationSeconds)),
                  h("td", { class: "num" }, money(s.cost)),
                  h("td", {}, s.payment ? words(s.payment.status) : "—"),
                ),
              ),
              { class: "sessions" },
            )
          : h("p", { class: "muted" }, "No sessions match."),
      );
    } catch (error) {
      clear(listEl, h("p", { class: "notice error", role: "alert" }, errorText(error)));
    }
  }
  stationSelect.addEventListener("change", () => load(true));
  activeSelect.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));
  await load(true);
  return h(
    "section",
    {},
    h("h1", {}, "Sessions"),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() }, field("Station", stationSelect), field("Status", activeSelect)),
    total,
    listEl,
    more,
  );
}

export async function sessionPage(scope, id) {
  const s = (await gql("ConsoleSession", { id })).session;
  const out = h("p", { class: "notice", hidden: true });
  const status = h("span", { "data-field": "status" }, badge(s.status, "session"));
  const energy = h("dd", {}, num(s.energyKwh, 2, "kWh"));
  const power = h("dd", {}, num(s.powerKw, 1, "kW"));
  const cost = h("dd", {}, money(s.cost));
  const facts = h(
    "dl",
    { class: "facts" },
    h("dt", {}, "Station"),
    h("dd", {}, h("a", { href: `#/stations/${s.station.id}` }, s.station.name), ` · connector ${s.connectorId}`),
    h("dt", {}, "Site"),
    h("dd", {}, s.station.site.name),
    h("dt", {}, "Started"),
    h("dd", {}, when(s.startedAt || s.createdAt)),
    h("dt", {}, "Ended"),
    h("dd", {}, when(s.endedAt), s.stopReason ? ` · stop reason: ${s.stopReason}` : ""),
    h("dt", {}, "Energy"),
    energy,
    h("dt", {}, "Power now / peak"),
    power,
    h("dt", {}, "Duration / idle"),
    h("dd", {}, `${duration(s.durationSeconds)} / ${duration(s.idleSeconds)}`),
    h("dt", {}, "Cost"),
    cost,
    h("dt", {}, "Id tag"),
    h("dd", {}, s.idTag || "—"),
    h("dt", {}, "Transaction"),
    h("dd", {}, s.transactionId || "—"),
    h("dt", {}, "Tariff"),
    h("dd", {}, s.station.tariff ? `${s.station.tariff.name}: ${s.station.tariff.summary}` : "None"),
  );
  let stop = null;
  if (OPEN(s.status) && auth.canAct) {
    const result = h("span", { class: "notice", hidden: true });
    stop = h(
      "p",
      {},
      h("button", { type: "button", class: "danger", "data-action": "remote-stop", onclick: (e) => act(e.currentTarget, result, () => gql("RemoteStop", { sessionId: id }), "The station was asked to stop; the session ends when it reports the stop.") }, "Remote stop"),
      " ",
      result,
    );
  }
  if (OPEN(s.status)) {
    scope.add(
      subscribe(
        "SessionProgress",
        { sessionId: id },
        ({ sessionProgress: p }) => {
          clear(status, badge(p.status, "session"));
          clear(energy, num(p.energyKwh, 2, "kWh"));
          clear(power, num(p.powerKw, 1, "kW"));
          clear(cost, money(p.cost));
          if (!OPEN(p.status) && stop) stop.remove();
        },
        (error) => notice(out, `Live progress stopped: ${errorText(error)}`, "error"),
      ),
    );
  }

  // meter curve: the connector's telemetry over the session
  const from = s.startedAt || s.createdAt;
  const end = s.endedAt ? Date.parse(s.endedAt) : Date.now();
  const to = new Date(end + 60_000).toISOString();
  let curve;
  try {
    const t = (await gql("ConsoleMeterCurve", { stationId: s.station.id, range: { from, to } })).station;
    const samples = (t ? t.telemetry : []).filter((x) => x.connectorId === s.connectorId);
    const energyPoints = samples.filter((x) => x.energyKwh !== null).map((x) => ({ x: Date.parse(x.at), y: x.energyKwh }));
    curve = chart(
      "Meter curve",
      {
        type: "line",
        data: {
          datasets: [
            { label: "Meter register (kWh)", yAxisID: "energy", data: energyPoints, borderColor: PALETTE[0], backgroundColor: PALETTE[0], pointRadius: 2 },
            { label: "Power (kW)", yAxisID: "power", data: samples.filter((x) => x.powerKw !== null).map((x) => ({ x: Date.parse(x.at), y: x.powerKw })), borderColor: PALETTE[1], backgroundColor: PALETTE[1], pointRadius: 2 },
          ],
        },
        options: {
          parsing: false,
          scales: {
            x: { ...timeAxis("Time", end - Date.parse(from)), min: Date.parse(from), max: end },
            energy: { ...valueAxis("Meter register (kWh)"), position: "left" },
            power: { ...valueAxis("Power (kW)"), position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
          },
        },
      },
      scope,
      { description: "The connector's meter register and power over the session, from its start to its end" },
    );
    if (!samples.length) curve.append(h("p", { class: "muted small" }, "The station sent no meter values during this session."));
  } catch (error) {
    curve = h("p", { class: "notice error", role: "alert" }, errorText(error));
  }

  const receipt = s.receipt
    ? h(
        "section",
        { class: "receipt card", "aria-labelledby": "receipt-title" },
        h("h2", { id: "receipt-title" }, `Receipt ${s.receipt.number}`),
        table(
          ["Line", "Quantity", "Unit price", "Amount"],
          s.receipt.lines.map((l) =>
            h("tr", {}, h("td", {}, l.description || words(l.kind)), h("td", { class: "num" }, `${num(l.quantity, 2)} ${l.unit}`), h("td", { class: "num" }, money(l.unitPrice)), h("td", { class: "num" }, money(l.amount))),
          ),
          { class: "lines" },
        ),
        h("dl", { class: "totals" }, h("dt", {}, "Subtotal"), h("dd", {}, money(s.receipt.subtotal)), h("dt", {}, "VAT"), h("dd", {}, money(s.receipt.vat)), h("dt", {}, "Total"), h("dd", {}, money(s.receipt.total))),
      )
    : h("p", { class: "muted" }, OPEN(s.status) ? "The receipt is issued when the session ends." : "No receipt: nothing was charged for this session.");

  const pay = s.payment;
  const payment = pay
    ? h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Status"),
        h("dd", { "data-field": "payment" }, words(pay.status)),
        h("dt", {}, "Authorised"),
        h("dd", {}, money(pay.amountAuthorized)),
        h("dt", {}, "Captured"),
        h("dd", {}, money(pay.amountCaptured)),
        h("dt", {}, "Refunded"),
        h("dd", {}, money(pay.amountRefunded)),
      )
    : h("p", { class: "muted" }, "No payment.");

  let refund = null;
  if (auth.canAct && pay && pay.amountCaptured && Number(pay.amountCaptured.amount) > Number((pay.amountRefunded || { amount: 0 }).amount)) {
    const amount = h("input", { type: "text", inputmode: "decimal", name: "amount", placeholder: `up to ${pay.amountCaptured.amount}`, pattern: "\\d+(\\.\\d{1,2})?" });
    const reason = h("input", { name: "reason", maxlength: 200 });
    const result = h("p", { class: "notice", hidden: true });
    const button = h("button", { type: "submit", class: "danger", "data-action": "refund" }, "Refund");
    refund = h("form", { class: "card", "aria-label": "Refund" }, h("h3", {}, "Refund"), field(`Amount (${pay.amountCaptured.currency})`, amount, "Left empty: everything captured and not yet refunded"), field("Reason", reason), button, result);
    refund.addEventListener("submit", (e) => {
      e.preventDefault();
      act(button, result, () => gql("RefundSession", { sessionId: id, amount: amount.value.trim() || null, reason: reason.value.trim() || null }), (r) => `Refund ${words(r.refundSession.refund.status).toLowerCase()}: ${money(r.refundSession.refund.amount)}.`);
    });
  }

  return h(
    "section",
    { class: "session-detail", "data-session-id": id },
    h("p", { class: "crumbs" }, h("a", { href: "#/sessions" }, "Sessions"), " › ", s.station.name),
    h("h1", {}, "Session ", status),
    out,
    stop,
    facts,
    curve,
    h("div", { class: "two-col" }, h("section", { "aria-labelledby": "payment-title" }, h("h2", { id: "payment-title" }, "Payment"), payment, refund), receipt),
  );
}
