// What Outlook is told to do with the agent's answer: event.completed options.
// Fail closed: the only way to {allowEvent: true} is an `allow` answer with a well-formed stamp
// that Outlook accepted as an internet header.

import { DETAILS_LABEL, MESSAGE_LIMIT, STAMP_MAX, STAMP_PATTERN, TASKPANE_COMMAND } from "./config.mjs";
import { AgentError } from "./agent.mjs";
import { supportsMailbox } from "./office-async.mjs";

const DECISIONS = ["allow", "sent", "held", "blocked"];

export const MESSAGES = {
  unreachable: "Postseal is not running, so this message was not sent. Start Postseal from the " +
    "Start menu (or its icon in the system tray or menu bar), then press Send again.",
  timeout: "Postseal did not answer in time, so this message was not sent. Make sure Postseal is " +
    "running (Start menu, system tray or menu bar), then press Send again.",
  malformed: "Postseal gave an answer this add-in cannot read, so this message was not sent. " +
    "Restart Postseal from the Start menu, then press Send again.",
  unpaired: "This add-in could not connect to Postseal, so this message was not sent. Restart " +
    "Postseal from the Start menu, then press Send again; if it keeps happening, call your IT team.",
  sent: "Postseal is sending this message protected; your mail program does not send its own " +
    "copy. You can close this draft.",
  header: "Postseal approved this message, but Outlook could not add Postseal's approval stamp, " +
    "so it was not sent. Press Send again.",
};

// The technical detail (an HTTP status, Outlook's error text) goes to the console for IT;
// the clinician reads one plain sentence (issue 19: no codes, keys or exception text).
function forIt(what, detail) {
  if (detail && globalThis.console) console.warn(`Postseal: ${what}: ${detail}`);
}

export function httpMessage(detail) {
  forIt("the agent refused the request", detail);
  return "Postseal could not check this message, so it was not sent. Press Send again; if it keeps " +
    "happening, restart Postseal from the Start menu and tell your IT team.";
}

export function draftMessage(detail) {
  forIt("reading the draft failed", detail);
  return "Outlook could not give Postseal this draft, so it was not sent. Press Send again; if it " +
    "keeps happening, close and reopen the draft.";
}

// Cut to the client's limit on a word boundary, with an ellipsis that says so.
export function clip(text, limit = MESSAGE_LIMIT) {
  const value = String(text).replace(/\s+/g, " ").trim();
  if (value.length <= limit) return value;
  const cut = value.slice(0, limit - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > limit * 0.6 ? cut.slice(0, space) : cut}…`;
}

// Smart Alerts Markdown knows bold, italic, lists, links and new lines; a backslash escapes.
export function escapeMarkdown(text) {
  return String(text).replace(/([\\*_[\]()#`>+!-])/g, "\\$1");
}

export function markdownFor(message, limit = MESSAGE_LIMIT) {
  const lead = "**Not sent.** ";
  const text = clip(message, limit - lead.length);
  const escaped = escapeMarkdown(text);
  if (lead.length + escaped.length <= limit) return lead + escaped;
  // Escaping can double the text; cut the escaped form, never inside an escape, and say so.
  let out = "";
  for (const char of text) {
    const piece = escapeMarkdown(char);
    if (lead.length + out.length + piece.length + 1 > limit) break;
    out += piece;
  }
  return `${lead}${out}…`;
}

export function errorMessageFor(error) {
  if (error instanceof AgentError) {
    if (error.kind === "http") return httpMessage(error.detail);
    return MESSAGES[error.kind] || MESSAGES.malformed;
  }
  if (error && error.name === "OfficeCallFailed") return draftMessage(error.message);
  return draftMessage((error && error.message) || String(error));
}

// The answer, checked; an AgentError("malformed") for anything else. The check-only endpoint
// (the task pane's) answers allow without a stamp, so it reads with requireStamp false.
export function readAnswer(data, { requireStamp = true } = {}) {
  if (!data || typeof data !== "object" || !DECISIONS.includes(data.decision)) {
    throw new AgentError("malformed", "no known decision");
  }
  const message = typeof data.message === "string" ? data.message.trim() : "";
  const plan = data.plan && typeof data.plan === "object" ? data.plan : null;
  const found = Array.isArray(data.found) ? data.found.filter((line) => typeof line === "string") : null;
  if (data.decision === "allow" && !requireStamp) return { decision: "allow", message, plan, found };
  if (data.decision === "allow") {
    const stamp = data.stamp;
    if (typeof stamp !== "string" || stamp.length > STAMP_MAX || !STAMP_PATTERN.test(stamp)) {
      throw new AgentError("malformed", "allow without a valid stamp");
    }
    return { decision: "allow", message, stamp, plan, found };
  }
  if (data.decision !== "sent" && !message) {
    throw new AgentError("malformed", `${data.decision} without a message`);
  }
  return { decision: data.decision, message, plan, found };
}

export function blockOptions(Office, message, { details = false } = {}) {
  const options = { allowEvent: false, errorMessage: clip(message) };
  // errorMessageMarkdown is Mailbox 1.15; older clients would ignore it, but an unknown option
  // is not worth the risk of an exception in the one call that must succeed.
  if (supportsMailbox(Office, "1.15")) options.errorMessageMarkdown = markdownFor(message);
  // A dialog button that opens the task pane (commandId, cancelLabel: Mailbox 1.14).
  if (details && supportsMailbox(Office, "1.14")) {
    options.cancelLabel = DETAILS_LABEL;
    options.commandId = TASKPANE_COMMAND;
  }
  return options;
}
