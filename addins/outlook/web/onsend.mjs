// The OnMessageSend handler (Smart Alerts, SendMode Block).
//
// It reads the draft, asks the agent, and then either stamps the message and lets Outlook
// send it, or stops Outlook's send with a message saying what happened and what to do.
// event.completed is called exactly once, and within HANDLER_BUDGET_MS.

import { CONNECT_BUDGET_MS, HANDLER_BUDGET_MS, PATHS, STAMP_HEADER } from "./config.mjs";
import { agentOrigin, askAgentPaired, deadline, pairingToken } from "./agent.mjs";
import { collectDraft } from "./draft.mjs";
import { officeCall } from "./office-async.mjs";
import { MESSAGES, blockOptions, errorMessageFor, readAnswer } from "./verdict.mjs";

async function decide(Office, env, signal) {
  const origin = agentOrigin(env.location);
  const pair = async (fresh) => {
    const connect = deadline(CONNECT_BUDGET_MS, signal);
    try {
      return await pairingToken({ fetch: env.fetch, document: env.document, origin, signal: connect.signal, fresh });
    } finally {
      connect.clear();
    }
  };
  const token = await pair(false);
  const draft = await collectDraft(Office);
  const data = await askAgentPaired({ fetch: env.fetch, origin, token, draft, path: PATHS.compose, signal,
    repair: () => pair(true) });
  const answer = readAnswer(data);
  if (answer.decision === "allow") {
    const item = Office.context.mailbox.item;
    try {
      await officeCall(Office, "adding the stamp",
        (done) => item.internetHeaders.setAsync({ [STAMP_HEADER]: answer.stamp }, done));
    } catch (_error) {
      return blockOptions(Office, MESSAGES.header);
    }
    return { allowEvent: true };
  }
  if (answer.decision === "sent") {
    return blockOptions(Office, answer.message || MESSAGES.sent);
  }
  return blockOptions(Office, answer.message, { details: true });
}

export async function onMessageSend(event, env = {}) {
  const Office = env.Office || globalThis.Office;
  const full = {
    fetch: env.fetch || globalThis.fetch,
    document: "document" in env ? env.document : globalThis.document,
    location: "location" in env ? env.location : globalThis.location,
  };
  let finished = false;
  const finish = (options) => {
    if (finished) return;
    finished = true;
    event.completed(options);
  };
  const budget = deadline(HANDLER_BUDGET_MS);
  // The budget ends the handler even if Office.js or fetch never calls back (and even where
  // the runtime has no AbortController to cancel the request with).
  let timer;
  const stop = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), HANDLER_BUDGET_MS);
  });
  try {
    const options = await Promise.race([decide(Office, full, budget.signal), stop]);
    finish(options || blockOptions(Office, MESSAGES.timeout));
  } catch (error) {
    finish(blockOptions(Office, errorMessageFor(error)));
  } finally {
    clearTimeout(timer);
    budget.clear();
  }
}

// The manifests name the handler "onMessageSendHandler"; the unified manifest and classic
// Outlook on Windows find it only through Office.actions.associate.
export function register(Office = globalThis.Office) {
  Office.actions.associate("onMessageSendHandler", (event) => onMessageSend(event, { Office }));
}
