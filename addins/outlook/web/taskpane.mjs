// The task pane: what Postseal would do with this draft if Send were pressed now.
// It asks the agent's check-only endpoint, which stores, queues and stamps nothing.

import { CONNECT_BUDGET_MS, HANDLER_BUDGET_MS, PATHS } from "./config.mjs";
import { agentOrigin, askAgentPaired, deadline, pairingToken } from "./agent.mjs";
import { collectDraft } from "./draft.mjs";
import { errorMessageFor, readAnswer } from "./verdict.mjs";

export const HEADLINES = {
  allow: "Outlook will send it",
  sent: "Postseal will send it protected",
  held: "Held for review",
  blocked: "Blocked",
};

// The agent words each recipient's line itself (plan.recipients[].says, agent/plain_words.py)
// and what it found (answer.found); these stand in only for an agent from before it did, and
// say the same in the same words. The technical `reason` is for IT and the audit: never shown.
export const METHODS = {
  internal: "Inside your organization: delivered through your clinic's own mail system.",
  tls: "Sent over a verified encrypted connection.",
  smime: "Encrypted with their S/MIME certificate, so only they can open it.",
  pgp: "Encrypted with their OpenPGP key, so only they can open it.",
  portal: "Goes to the secure portal: they get a link and a one-time code to read it.",
};
export const ERROR_HEADLINE = "Postseal cannot check this draft";
export const LOADING = "Checking this draft…";
export const UNKNOWN_METHOD = "Postseal protects it on the way.";
// Findings counted by an agent that does not name them (answer.found) yet.
export const someFound = (count) => `Personal or health details: ${count}`;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function show(state, headline, message) {
  document.body.dataset.state = state;
  const verdict = document.getElementById("verdict");
  verdict.dataset.decision = state;
  verdict.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  document.getElementById("decision").textContent = headline;
  document.getElementById("message").textContent = message;
}

// A held message goes nowhere yet, and a blocked one never will: the heading says so.
export const RECIPIENTS_TITLE = {
  default: "How each recipient gets it",
  held: "How each recipient will get it once it can leave",
};

function renderRecipients(plan, decision) {
  const list = document.getElementById("recipients");
  list.replaceChildren();
  const recipients = (plan && Array.isArray(plan.recipients) && decision !== "blocked") ? plan.recipients : [];
  document.getElementById("recipients-title").textContent = RECIPIENTS_TITLE[decision] || RECIPIENTS_TITLE.default;
  for (const recipient of recipients) {
    const method = Object.prototype.hasOwnProperty.call(METHODS, recipient.method) ? recipient.method : "unknown";
    const says = typeof recipient.says === "string" && recipient.says.trim() ? recipient.says.trim()
      : (METHODS[method] || UNKNOWN_METHOD);
    const item = element("li", `recipient method-${method}`);
    item.append(element("span", "address", String(recipient.address || "")));
    item.append(element("span", "says", says));
    list.append(item);
  }
  document.getElementById("recipients-section").hidden = recipients.length === 0;
}

function renderFindings(plan, found) {
  const list = document.getElementById("findings");
  list.replaceChildren();
  const verdict = (plan && plan.verdict) || {};
  if (Array.isArray(found)) {
    for (const line of found) list.append(element("li", "finding", String(line)));
  } else {
    const count = Object.values(verdict.finding_counts || {}).reduce((sum, n) => sum + Number(n || 0), 0);
    if (count) list.append(element("li", "finding", someFound(count)));
  }
  for (const warning of verdict.warnings || []) {
    list.append(element("li", "finding warning", String(warning)));
  }
  document.getElementById("findings-section").hidden = list.childElementCount === 0;
}

export async function check(Office, env = {}) {
  const fetchImpl = env.fetch || globalThis.fetch;
  const origin = agentOrigin(globalThis.location);
  show("loading", LOADING, "");
  const budget = deadline(HANDLER_BUDGET_MS);
  try {
    const pair = async (fresh) => {
      const connect = deadline(CONNECT_BUDGET_MS, budget.signal);
      try {
        return await pairingToken({ fetch: fetchImpl, document, origin, signal: connect.signal, fresh });
      } finally {
        connect.clear();
      }
    };
    const token = await pair(false);
    const draft = await collectDraft(Office);
    const answer = readAnswer(await askAgentPaired({
      fetch: fetchImpl, origin, token, draft, path: PATHS.check, signal: budget.signal, repair: () => pair(true),
    }), { requireStamp: false });
    // The agent's message may open with the same words as the headline ("Held for review: …").
    const headline = HEADLINES[answer.decision];
    const message = answer.message.toLowerCase().startsWith(`${headline.toLowerCase()}: `)
      ? answer.message.slice(headline.length + 2) : answer.message;
    show(answer.decision, headline, message.charAt(0).toUpperCase() + message.slice(1));
    renderRecipients(answer.plan || null, answer.decision);
    renderFindings(answer.plan || null, answer.found);
    return answer;
  } catch (error) {
    show("error", ERROR_HEADLINE, paneError(error));
    renderRecipients(null, "error");
    renderFindings(null, null);
    return null;
  } finally {
    budget.clear();
  }
}

// In the pane nothing was being sent: the Smart Alert's "so this message was not sent" goes.
export function paneError(error) {
  return errorMessageFor(error).replace(/,? so (this message|it) was not sent\.?/, ".");
}

export function start(Office) {
  return Office.onReady(() => {
    document.getElementById("recheck").addEventListener("click", () => check(Office));
    return check(Office);
  });
}

if (globalThis.Office && globalThis.document) start(globalThis.Office);
