// Talking to the agent's add-in origin: the pairing token, then the draft.

import { DEFAULT_ORIGIN, PATHS } from "./config.mjs";

export class AgentError extends Error {
  // kind: unreachable | timeout | http | malformed | unpaired
  constructor(kind, detail = "") {
    super(detail ? `${kind}: ${detail}` : kind);
    this.name = "AgentError";
    this.kind = kind;
    this.detail = detail;
  }
}

const PLACEHOLDER = "__POSTSEAL_PAIRING__";

export function agentOrigin(location) {
  const origin = location && location.origin;
  return typeof origin === "string" && /^https:\/\/localhost(:\d+)?$/.test(origin) ? origin : DEFAULT_ORIGIN;
}

// An AbortSignal that fires when `parent` does or after `ms`, whichever comes first.
export function deadline(ms, parent) {
  if (typeof AbortController !== "function") return { signal: undefined, clear() {} };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const onAbort = () => controller.abort();
  if (parent) {
    if (parent.aborted) controller.abort();
    else parent.addEventListener("abort", onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      if (parent) parent.removeEventListener("abort", onAbort);
    },
  };
}

async function request(fetchImpl, url, init, signal) {
  try {
    return await fetchImpl(url, { ...init, signal });
  } catch (error) {
    if (signal && signal.aborted) throw new AgentError("timeout", "no answer in time");
    throw new AgentError("unreachable", (error && error.message) || String(error));
  }
}

async function readJson(response, signal) {
  let text;
  try {
    text = await response.text();
  } catch (error) {
    if (signal && signal.aborted) throw new AgentError("timeout", "the answer stopped half-way");
    throw new AgentError("unreachable", (error && error.message) || String(error));
  }
  try {
    return JSON.parse(text);
  } catch (_error) {
    throw new AgentError("malformed", "the answer is not JSON");
  }
}

// The HTML pages carry the token in <meta name="postseal-pairing"> (the agent fills it in as
// it serves them); the JavaScript-only runtime has no page and asks the pairing endpoint,
// which answers only the add-in origin. `fresh` skips the page's token (see askAgentPaired).
export async function pairingToken({ fetch: fetchImpl, document, origin, signal, fresh = false }) {
  const meta = !fresh && document && document.querySelector && document.querySelector('meta[name="postseal-pairing"]');
  const fromPage = meta && meta.getAttribute("content");
  if (fromPage && fromPage !== PLACEHOLDER) return fromPage;
  const response = await request(fetchImpl, origin + PATHS.pairing, { method: "GET" }, signal);
  if (!response.ok) throw new AgentError("http", `pairing answered HTTP ${response.status}`);
  const data = await readJson(response, signal);
  if (!data || typeof data.token !== "string" || !data.token) {
    throw new AgentError("malformed", "the pairing answer has no token");
  }
  return data.token;
}

// POST the draft; the parsed JSON answer, or an AgentError saying what went wrong.
export async function askAgent({ fetch: fetchImpl, origin, token, draft, path, signal }) {
  const response = await request(fetchImpl, origin + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Postseal-Pairing": token },
    body: JSON.stringify(draft),
  }, signal);
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const data = await readJson(response, signal);
      // A refused draft still carries a decision and words for the sender (PROTOCOL.md): that
      // is the answer to show, not the status.
      if (response.status !== 401 && data && data.decision === "blocked" && typeof data.message === "string" &&
          data.message.trim()) return data;
      const message = data && data.error && data.error.message;
      if (typeof message === "string" && message) detail = `${detail}: ${message}`;
    } catch (_error) {
      // the status alone says enough
    }
    throw new AgentError(response.status === 401 ? "unpaired" : "http", detail);
  }
  return readJson(response, signal);
}

// The agent's pairing tokens are short-lived, bound to the program that fetched them, and
// forgotten when the agent restarts; a page open since before then holds one it refuses
// (401). Then ask the pairing endpoint for a new token, once, and ask again.
export async function askAgentPaired({ repair, ...options }) {
  try {
    return await askAgent(options);
  } catch (error) {
    if (!(error instanceof AgentError) || error.kind !== "unpaired") throw error;
  }
  return askAgent({ ...options, token: await repair() });
}
