// Tariffs and plans: the organisation's tariffs (with the stations each prices), creating one,
// assigning it to stations; membership plans and creating one.

import { gql, session } from "../api.js";
import { act, clear, field, h, money, num, select, table } from "../ui.js";

const DAYS = [["1", "Mon"], ["2", "Tue"], ["3", "Wed"], ["4", "Thu"], ["5", "Fri"], ["6", "Sat"], ["7", "Sun"]];

async function stationsWithTariffs() {
  const nodes = [];
  let after = null;
  for (let page = 0; page < 100; page++) {
    const data = await gql("ConsoleStationTariffs", { after });
    nodes.push(...data.stations.edges.map((e) => e.node));
    if (!data.stations.pageInfo.hasNextPage) break;
    after = data.stations.pageInfo.endCursor;
  }
  return nodes;
}

function decimal(name, value = "", attrs = {}) {
  return h("input", { name, value, inputmode: "decimal", pattern: "\\d+(\\.\\d+)?", ...attrs });
}

export async function tariffsPage() {
  const [tariffData, stations, planData] = await Promise.all([gql("ConsoleTariffs"), stationsWithTariffs(), gql("Plans")]);
  const tariffs = tariffData.tariffs;
  const listEl = h("div");
  const plansEl = h("div");

  function renderTariffs() {
    clear(
      listEl,
      tariffs.length
        ? table(
            ["Tariff", "Prices", "VAT", "Held at start", "Stations"],
            tariffs.map((t) => {
              const on = stations.filter((s) => s.tariff && s.tariff.id === t.id);
              return h("tr", { "data-tariff-id": t.id }, h("th", { scope: "row" }, t.name), h("td", {}, t.summary), h("td", { class: "num" }, `${Number(t.vatPercent)} %`), h("td", { class: "num" }, money(t.preAuthorizationAmount)), h("td", { "data-field": "stations" }, on.length ? on.map((s) => s.name).join(", ") : "—"));
            }),
            { class: "tariffs" },
          )
        : h("p", { class: "muted" }, "No tariffs yet."),
    );
  }
  function renderPlans(plans) {
    clear(
      plansEl,
      plans.length
        ? table(["Plan", "Monthly fee", "Energy discount", "Included energy", "Description"], plans.map((p) => h("tr", {}, h("th", { scope: "row" }, p.name), h("td", { class: "num" }, money(p.monthlyFee)), h("td", { class: "num" }, `${p.energyDiscountPercent} %`), h("td", { class: "num" }, num(p.includedKwh, 0, "kWh")), h("td", {}, p.description || "—"))), { class: "plans" })
        : h("p", { class: "muted" }, "No plans yet."),
    );
  }
  renderTariffs();
  renderPlans(planData.plans);

  const parts = [h("h1", {}, "Tariffs & plans"), h("h2", {}, "Tariffs"), listEl];
  if (session.canAct) {
    const assign = assignForm(tariffs, stations, renderTariffs);
    const created = () => {
      renderTariffs();
      assign.refill();
    };
    parts.push(createTariffForm(tariffs, created), assign);
  }
  parts.push(h("h2", {}, "Membership plans"), plansEl);
  if (session.canAct) parts.push(createPlanForm(planData.plans, renderPlans));
  return h("section", {}, parts);
}

function createTariffForm(tariffs, rerender) {
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const currency = h("input", { name: "currency", required: true, value: "SEK", maxlength: 3, pattern: "[A-Za-z]{3}", class: "narrow" });
  const vat = decimal("vatPercent", "25");
  const energy = decimal("energyPricePerKwh", "0");
  const time = decimal("timePricePerMinute", "0");
  const fee = decimal("sessionFee", "0");
  const idle = decimal("idleFeePerMinute", "0");
  const grace = h("input", { type: "number", name: "idleGraceMinutes", min: 0, step: 1, value: 0 });
  const hold = decimal("preAuthorizationAmount", "0");
  const cap = decimal("cap", "", { placeholder: "no cap" });
  const bands = rows("Power bands", "Prices by charging speed: from this power, up to the next band's.", bandRow);
  const windows = rows("Time of day", "Energy or time prices that apply on these days and hours (the site's time).", windowRow);
  const out = h("p", { class: "notice", hidden: true });
  const button = h("button", { type: "submit", "data-action": "create-tariff" }, "Create tariff");
  const form = h(
    "form",
    { class: "card grid-form", "aria-labelledby": "new-tariff" },
    h("h3", { id: "new-tariff" }, "New tariff"),
    field("Name", name),
    field("Currency", currency, "ISO code, e.g. SEK, EUR"),
    field("VAT (%)", vat),
    field("Energy price per kWh", energy),
    field("Time price per minute", time),
    field("Session fee", fee),
    field("Idle fee per minute", idle),
    field("Idle grace (minutes)", grace),
    field("Held at start (pre-authorisation)", hold),
    field("Cap per session", cap),
    bands.element,
    windows.element,
    h("div", { class: "form-end" }, button, out),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await act(
      button,
      out,
      () =>
        gql("CreateTariff", {
          input: {
            name: name.value.trim(),
            currency: currency.value.trim().toUpperCase(),
            vatPercent: vat.value.trim(),
            energyPricePerKwh: energy.value.trim() || "0",
            timePricePerMinute: time.value.trim() || "0",
            sessionFee: fee.value.trim() || "0",
            idleFeePerMinute: idle.value.trim() || "0",
            idleGraceMinutes: Number(grace.value || 0),
            preAuthorizationAmount: hold.value.trim() || "0",
            cap: cap.value.trim() || null,
            powerBands: bands.values(),
            timeOfDay: windows.values(),
          },
        }),
      (res) => `Created ${res.createTariff.tariff.name}: ${res.createTariff.tariff.summary}`,
    );
    if (r) {
      const t = r.createTariff.tariff;
      tariffs.push({ ...t, vatPercent: vat.value.trim(), preAuthorizationAmount: { amount: hold.value.trim() || "0", currency: t.currency } });
      rerender();
    }
  });
  return form;
}

function assignForm(tariffs, stations, rerender) {
  const tariffSelect = select([], null, { name: "tariffId", required: true });
  const refill = () => clear(tariffSelect, tariffs.map((t) => h("option", { value: t.id }, `${t.name} (${t.currency})`)));
  refill();
  const boxes = stations.map((s) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "station", value: s.id }), ` ${s.name}`));
  const out = h("p", { class: "notice", hidden: true });
  const button = h("button", { type: "submit", "data-action": "assign-tariff" }, "Assign");
  const form = h("form", { class: "card", "aria-labelledby": "assign-title" }, h("h3", { id: "assign-title" }, "Assign a tariff to stations"), field("Tariff", tariffSelect), h("fieldset", {}, h("legend", {}, "Stations"), h("div", { class: "checks" }, boxes)), button, out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = [...form.querySelectorAll("input[name=station]:checked")].map((i) => i.value);
    await act(
      button,
      out,
      async () => {
        if (!tariffSelect.value) throw new Error("Create a tariff first.");
        if (!chosen.length) throw new Error("Choose at least one station.");
        const done = [];
        for (const stationId of chosen) {
          const r = await gql("AssignTariff", { stationId, tariffId: tariffSelect.value });
          const st = stations.find((s) => s.id === stationId);
          st.tariff = r.assignTariff.station.tariff;
          done.push(st.name);
        }
        rerender();
        return done;
      },
      (done) => `Assigned to ${done.join(", ")}.`,
    );
  });
  form.refill = refill;
  return form;
}

function createPlanForm(plans, rerender) {
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const fee = decimal("monthlyFee", "", { required: true });
  const currency = h("input", { name: "currency", value: "SEK", maxlength: 3, pattern: "[A-Za-z]{3}", class: "narrow" });
  const discount = h("input", { type: "number", name: "energyDiscountPercent", min: 0, max: 100, step: 1, value: 0 });
  const included = decimal("includedKwh", "0");
  const description = h("input", { name: "description", maxlength: 500 });
  const out = h("p", { class: "notice", hidden: true });
  const button = h("button", { type: "submit", "data-action": "create-plan" }, "Create plan");
  const form = h("form", { class: "card grid-form", "aria-labelledby": "new-plan" }, h("h3", { id: "new-plan" }, "New plan"), field("Name", name), field("Monthly fee", fee), field("Currency", currency), field("Energy discount (%)", discount), field("Included energy (kWh)", included), field("Description", description), h("div", { class: "form-end" }, button, out));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await act(
      button,
      out,
      () => gql("CreatePlan", { input: { name: name.value.trim(), monthlyFee: fee.value.trim(), currency: currency.value.trim().toUpperCase(), energyDiscountPercent: Number(discount.value || 0), includedKwh: included.value.trim() || "0", description: description.value.trim() } }),
      (res) => `Created ${res.createPlan.plan.name}.`,
    );
    if (r) {
      const p = r.createPlan.plan;
      plans.push({ ...p, energyDiscountPercent: Number(discount.value || 0), includedKwh: Number(included.value || 0), description: description.value.trim() });
      rerender(plans);
    }
  });
  return form;
}


/** A list of optional rows (power bands, time windows) with add and remove buttons. */
function rows(title, hint, makeRow) {
  const list = h("div", { class: "rows" });
  const items = [];
  const add = h("button", { type: "button", class: "secondary" }, `Add ${title.toLowerCase().replace(/s$/, "")}`);
  add.addEventListener("click", () => {
    const row = makeRow(items.length + 1);
    const remove = h("button", { type: "button", class: "link", "aria-label": `Remove ${row.label}` }, "Remove");
    const el = h("div", { class: "row" }, row.fields, remove);
    items.push(row);
    remove.addEventListener("click", () => {
      items.splice(items.indexOf(row), 1);
      el.remove();
    });
    list.append(el);
    el.querySelector("input, select").focus();
  });
  return {
    element: h("fieldset", { class: "wide" }, h("legend", {}, title), h("p", { class: "muted small" }, hint), list, add),
    values: () => items.map((r) => r.value()),
  };
}

function bandRow(n) {
  const min = decimal("minKw", "0");
  const max = decimal("maxKw", "", { placeholder: "no upper bound" });
  const energy = decimal("energyPricePerKwh", "");
  const time = decimal("timePricePerMinute", "");
  return {
    label: `power band ${n}`,
    fields: [field(`Band ${n} from (kW)`, min), field("up to (kW)", max), field("Energy price per kWh", energy), field("Time price per minute", time)],
    value: () => ({
      minKw: min.value.trim() || "0",
      maxKw: max.value.trim() || null,
      energyPricePerKwh: energy.value.trim() || null,
      timePricePerMinute: time.value.trim() || null,
    }),
  };
}

function windowRow(n) {
  const days = DAYS.map(([v, label]) => h("label", { class: "check" }, h("input", { type: "checkbox", value: v, checked: true }), ` ${label}`));
  const start = h("input", { type: "time", name: "startTime", value: "22:00", required: true });
  const end = h("input", { type: "time", name: "endTime", value: "06:00", required: true });
  const energy = decimal("energyPricePerKwh", "");
  const time = decimal("timePricePerMinute", "");
  return {
    label: `time window ${n}`,
    fields: [
      h("fieldset", { class: "days" }, h("legend", {}, `Window ${n} days`), days),
      field("From", start),
      field("Until", end, "At or before From: the next day"),
      field("Energy price per kWh", energy),
      field("Time price per minute", time),
    ],
    value: () => ({
      daysOfWeek: days.map((d) => d.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
      startTime: start.value,
      endTime: end.value,
      energyPricePerKwh: energy.value.trim() || null,
      timePricePerMinute: time.value.trim() || null,
    }),
  };
}
