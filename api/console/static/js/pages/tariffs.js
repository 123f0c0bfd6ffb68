// Tariffs and plans: the organisation's tariffs (with the stations each prices), creating one,
// assigning it to stations; membership plans and creating one.

import { gql, session } from "../api.js";
import { act, clear, field, h, money, num, select, table } from "../ui.js";
import { loadAllStations } from "./overview.js";

function decimal(name, value = "", attrs = {}) {
  return h("input", { name, value, inputmode: "decimal", pattern: "\\d+(\\.\\d+)?", ...attrs });
}

export async function tariffsPage() {
  const [tariffData, stations, planData] = await Promise.all([gql("ConsoleTariffs"), loadAllStations(), gql("Plans")]);
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
              const on = stations.filter((s) => s.tariffId === t.id || (s.tariff && s.tariff.id === t.id));
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
  // which station has which tariff: the station page's query knows; fetch it per station lazily
  await Promise.all(
    stations.map(async (s) => {
      try {
        const st = (await gql("ConsoleStation", { id: s.id })).station;
        s.tariff = st && st.tariff;
      } catch {
        s.tariff = null;
      }
    }),
  );
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

