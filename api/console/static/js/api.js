// The public GraphQL API, as any client speaks it: POST /graphql with a bearer token, and
// subscriptions over graphql-transport-ws (the vendored graphql-ws client) on the same origin.

import { createClient } from "../vendor/graphql-ws/client.js";
import { OPS } from "./ops.js";

const STORE = "laddnet.console.tokens";

/** An error to show a person: what went wrong in words, with the API's code when it gave one. */
export class ApiError extends Error {
  constructor(message, code = null, field = null) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return {};
  }
}

export const session = {
  tokens: null,
  listeners: new Set(),

  load() {
    try {
      this.tokens = JSON.parse(localStorage.getItem(STORE) || "null");
    } catch {
      this.tokens = null;
    }
    return this.tokens;
  },
  save(tokens) {
    this.tokens = tokens;
    if (tokens) localStorage.setItem(STORE, JSON.stringify(tokens));
    else localStorage.removeItem(STORE);
    for (const fn of this.listeners) fn(tokens);
  },
  get claims() {
    return this.tokens ? decodeClaims(this.tokens.accessToken) : {};
  },
  /** The operator's role from the token: "admin", "operator" or "viewer". */
  get role() {
    return this.claims.role || null;
  },
  /** Viewers read; the API refuses their actions anyway, the console does not offer them. */
  get canAct() {
    return this.role === "admin" || this.role === "operator";
  },
  get isOperator() {
    return this.claims.kind === "operator";
  },
};

async function post(query, variables, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables: variables || {} }),
    });
  } catch {
    throw new ApiError("laddnet cannot be reached: check the network connection and try again.");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`laddnet answered HTTP ${response.status} without a GraphQL result.`);
  }
  if (!response.ok && !body.data) {
    const first = (body.errors || [])[0];
    throw new ApiError(first ? first.message : `laddnet answered HTTP ${response.status}.`);
  }
  return body;
}

let refreshing = null;

async function refresh() {
  const tokens = session.tokens;
  if (!tokens) return false;
  refreshing ||= post(OPS.RefreshTokens, { refreshToken: tokens.refreshToken })
    .then((body) => {
      const fresh = body.data && body.data.refreshTokens.tokens;
      session.save(fresh || null);
      return Boolean(fresh);
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function expired(tokens) {
  return tokens && Date.parse(tokens.expiresAt) - 15_000 < Date.now();
}

/**
 * Run an operation by name (ops.js) and return its data. GraphQL errors and a payload's `errors`
 * list both raise an ApiError with the API's own words, so a page can show them as they are.
 */
export async function gql(name, variables = {}) {
  const query = OPS[name];
  if (!query) throw new ApiError(`the console has no operation named ${name}`);
  if (expired(session.tokens)) await refresh();
  let body = await post(query, variables, session.tokens && session.tokens.accessToken);
  const code = body.errors && body.errors[0] && (body.errors[0].extensions || {}).code;
  if ((code === "UNAUTHENTICATED" || code === "INVALID_TOKEN") && session.tokens) {
    if (await refresh()) body = await post(query, variables, session.tokens.accessToken);
    else session.save(null);
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const ext = first.extensions || {};
    throw new ApiError(first.message, ext.code || null, ext.field || null);
  }
  for (const value of Object.values(body.data || {})) {
    if (value && Array.isArray(value.errors) && value.errors.length) {
      const first = value.errors[0];
      throw new ApiError(first.message, first.code, first.field);
    }
  }
  return body.data;
}

/** Sign in; refuses a driver's account in words (the console is for operators). */
export async function signIn(email, password) {
  const body = await post(OPS.SignIn, { input: { email, password } });
  const payload = body.data && body.data.signIn;
  if (!payload) throw new ApiError((body.errors || [{ message: "sign-in failed" }])[0].message);
  if (payload.errors.length) {
    const e = payload.errors[0];
    throw new ApiError(e.message, e.code, e.field);
  }
  const claims = decodeClaims(payload.tokens.accessToken);
  if (claims.kind !== "operator") {
    throw new ApiError(
      "This console is for a network's operators; this account is a driver's. Use the driver app.",
      "FORBIDDEN",
    );
  }
  session.save(payload.tokens);
  resetLive();
}

export function signOut() {
  session.save(null);
  resetLive();
}

// -- live: one websocket for every subscription of the page -------------------------------------

let client = null;
const liveListeners = new Set();
export const live = { state: "idle" };

function setLive(state) {
  live.state = state;
  for (const fn of liveListeners) fn(state);
}

export function onLiveState(fn) {
  liveListeners.add(fn);
  fn(live.state);
  return () => liveListeners.delete(fn);
}

function wsUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
}

function liveClient() {
  if (client) return client;
  client = createClient({
    url: wsUrl(),
    lazy: true,
    lazyCloseTimeout: 3000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    keepAlive: 20_000,
    connectionParams: async () => {
      if (expired(session.tokens)) await refresh();
      return { Authorization: `Bearer ${session.tokens ? session.tokens.accessToken : ""}` };
    },
    on: {
      connecting: () => setLive("connecting"),
      connected: () => setLive("live"),
      closed: (event) => {
        // 4403: the server refused the token; refreshing it lets the retry in
        if (event && event.code === 4403) refresh();
        // 1000: closed because this page holds no subscription (lazy), not a failure
        const normal = event && event.code === 1000;
        setLive(session.tokens && !normal ? "reconnecting" : "idle");
      },
    },
  });
  return client;
}

function resetLive() {
  if (client) client.dispose();
  client = null;
  setLive("idle");
}

/**
 * Subscribe by operation name; `onData` gets each result's data, `onError` an ApiError in words.
 * Returns the function that ends the subscription.
 */
export function subscribe(name, variables, onData, onError = () => {}) {
  return liveClient().subscribe(
    { query: OPS[name], variables },
    {
      next: (result) => {
        if (result.errors && result.errors.length) {
          onError(new ApiError(result.errors[0].message, (result.errors[0].extensions || {}).code));
        } else if (result.data) {
          onData(result.data);
        }
      },
      error: (error) => {
        const message = Array.isArray(error)
          ? error.map((e) => e.message).join("; ")
          : error && error.reason
            ? `the live connection closed: ${error.reason}`
            : "the live connection failed";
        onError(new ApiError(message));
      },
      complete: () => {},
    },
  );
}
