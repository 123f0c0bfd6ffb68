// The console's shell: sign-in, navigation (hash routes), the live-connection indicator, and the
// page lifecycle (each page's subscriptions and charts end when the operator leaves it).

import { live, onLiveState, session, signOut } from "./api.js";
import { alertsPage } from "./pages/alerts.js";
import { overviewPage } from "./pages/overview.js";
import { reportsPage } from "./pages/reports.js";
import { revenuePage } from "./pages/revenue.js";
import { sessionPage, sessionsPage } from "./pages/sessions.js";
import { signInPage } from "./pages/signin.js";
import { stationPage } from "./pages/station.js";
import { tariffsPage } from "./pages/tariffs.js";
import { teamPage } from "./pages/team.js";
import { clear, h } from "./ui.js";

const ROUTES = [
  [/^#\/overview$/, overviewPage, "overview"],
  [/^#\/stations\/([^/]+)$/, stationPage, "overview"],
  [/^#\/alerts$/, alertsPage, "alerts"],
  [/^#\/sessions$/, sessionsPage, "sessions"],
  [/^#\/sessions\/([^/]+)$/, sessionPage, "sessions"],
  [/^#\/revenue$/, revenuePage, "revenue"],
  [/^#\/reports$/, reportsPage, "reports"],
  [/^#\/tariffs$/, tariffsPage, "tariffs"],
  [/^#\/team$/, teamPage, "team"],
];

const NAV = [
  ["overview", "Network"],
  ["alerts", "Alerts"],
  ["sessions", "Sessions"],
  ["revenue", "Revenue"],
  ["reports", "Reports"],
  ["tariffs", "Tariffs & plans"],
  ["team", "Team", "admin"],
];

class Scope {
  constructor() {
    this.closers = [];
  }
  add(fn) {
    this.closers.push(fn);
  }
  close() {
    this.closed = true;
    for (const fn of this.closers.splice(0)) {
      try {
        fn();
      } catch (error) {
        console.warn("closing the page", error);
      }
    }
  }
}

const main = document.getElementById("main");
const header = document.getElementById("header");
let scope = new Scope();

function liveLabel(state) {
  return {
    live: "Live",
    connecting: "Connecting…",
    reconnecting: "Reconnecting…",
    idle: "Not live",
  }[state];
}

function renderHeader(active) {
  if (!session.tokens) {
    clear(header, h("span", { class: "brand" }, "laddnet console"));
    return;
  }
  const menu = h(
    "button",
    { type: "button", class: "menu-toggle", "aria-expanded": "false", "aria-controls": "nav" },
    "Menu",
  );
  const nav = h(
    "nav",
    { id: "nav", "aria-label": "Console" },
    h(
      "ul",
      {},
      NAV.filter(([, , role]) => !role || session.role === role).map(([key, label]) =>
        h(
          "li",
          {},
          h("a", { href: `#/${key}`, "aria-current": key === active ? "page" : null }, label),
        ),
      ),
    ),
  );
  menu.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    menu.setAttribute("aria-expanded", String(open));
  });
  const indicator = h("span", { class: `live live-${live.state}`, id: "live", role: "status" }, liveLabel(live.state));
  const who = h(
    "span",
    { class: "who" },
    "Signed in as ",
    h("span", { class: "role", "data-role": session.role }, session.role || ""),
  );
  const out = h(
    "button",
    {
      type: "button",
      class: "link",
      onclick: () => {
        signOut();
        location.hash = "#/signin";
      },
    },
    "Sign out",
  );
  clear(header, h("a", { class: "brand", href: "#/overview" }, "laddnet console"), menu, nav, h("div", { class: "session" }, indicator, who, out));
}

onLiveState((state) => {
  const el = document.getElementById("live");
  if (el) {
    el.className = `live live-${state}`;
    el.textContent = liveLabel(state);
  }
});

async function route() {
  scope.close();
  scope = new Scope();
  const hash = location.hash || "#/overview";
  if (!session.tokens) {
    renderHeader(null);
    document.title = "Sign in · laddnet console";
    clear(main, signInPage(() => (location.hash = hash === "#/signin" ? "#/overview" : hash)));
    if (hash !== "#/signin" && !hash.startsWith("#/")) location.hash = "#/signin";
    return;
  }
  if (hash === "#/signin") {
    location.hash = "#/overview";
    return;
  }
  const found = ROUTES.map(([re, page, nav]) => [hash.match(re), page, nav]).find(([m]) => m);
  if (!found) {
    renderHeader(null);
    clear(main, h("h1", {}, "Not found"), h("p", {}, "No page at this address. "), h("a", { href: "#/overview" }, "Go to the network overview"));
    return;
  }
  const [match, page, nav] = found;
  const mine = scope;
  renderHeader(nav);
  document.body.classList.toggle("viewer", !session.canAct);
  clear(main, h("p", { class: "loading" }, "Loading…"));
  try {
    const view = await page(mine, ...match.slice(1).map(decodeURIComponent));
    if (mine.closed) return;
    clear(main, view);
    const heading = main.querySelector("h1");
    document.title = `${heading ? heading.textContent : "laddnet"} · laddnet console`;
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  } catch (error) {
    if (mine.closed) return;
    clear(
      main,
      h("h1", {}, "Something went wrong"),
      h("p", { class: "notice error", role: "alert" }, error.message || String(error)),
    );
  }
}

session.load();
session.listeners.add((tokens) => {
  if (!tokens && location.hash !== "#/signin") route();
});
window.addEventListener("hashchange", route);
route();
