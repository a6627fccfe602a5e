// Prints, as JSON, every text the add-ins' own code can put in front of a clinician: the
// Outlook task pane's and Smart Alerts' sentences for each answer and each failure, and the
// Gmail page's banners and notes for each reply the native host can give. Each failure is fed
// technical detail (HTTP statuses, exception names) so a text that repeats it is caught.
// tests/addins/test_addin_words.py runs it and checks each text for jargon (tests/plain_text.py).
// The agent's own sentences are checked where they are made (tests/unit/test_plain_words.py)
// and as shown, in the browser tests.

import { AgentError } from "../../addins/outlook/web/agent.mjs";
import { CLOUD_ATTACHMENT, NOT_HANDED_OVER, UNKNOWN_FORMAT } from "../../addins/outlook/web/draft.mjs";
import { MESSAGES, draftMessage, errorMessageFor, httpMessage } from "../../addins/outlook/web/verdict.mjs";
import * as pane from "../../addins/outlook/web/taskpane.mjs";
import { askHost, disconnectReason, Reassembler } from "../../addins/gmail/src/native.js";
import "../../addins/gmail/src/selectors.js";
import "../../addins/gmail/src/draft.js";

const texts = [];
const add = (where, text) => texts.push({ where, text: String(text) });
const quiet = console.warn;
console.warn = () => {}; // the technical detail goes to the console by design

// Outlook
for (const [kind, text] of Object.entries(MESSAGES)) add(`outlook MESSAGES.${kind}`, text);
add("outlook httpMessage", httpMessage("HTTP 500: OperationalError: database is locked"));
add("outlook draftMessage", draftMessage("reading the body: GenericResponseError"));
for (const kind of ["unreachable", "timeout", "http", "malformed", "unpaired", "something new"]) {
  const error = new AgentError(kind, "TypeError: Failed to fetch (HTTP 502)");
  add(`outlook error ${kind}`, errorMessageFor(error));
  add(`task pane error ${kind}`, pane.paneError(error));
}
add("outlook error TypeError", errorMessageFor(new TypeError("item.body is undefined")));
add("outlook error Office", errorMessageFor(Object.assign(new Error("reading the to recipients: 9041"),
  { name: "OfficeCallFailed" })));
for (const why of [CLOUD_ATTACHMENT, NOT_HANDED_OVER, UNKNOWN_FORMAT]) add("outlook attachment not read", why);
for (const [key, text] of Object.entries(pane.HEADLINES)) add(`task pane headline ${key}`, text);
for (const [key, text] of Object.entries(pane.METHODS)) add(`task pane method ${key}`, text);
for (const [key, text] of Object.entries(pane.RECIPIENTS_TITLE)) add(`task pane title ${key}`, text);
add("task pane unknown method", pane.UNKNOWN_METHOD);
add("task pane error headline", pane.ERROR_HEADLINE);
add("task pane loading", pane.LOADING);
add("task pane findings without names", pane.someFound(3));

// Gmail: the page's own texts, then what it shows for each reply
const P = globalThis.Postseal;
for (const [key, text] of Object.entries(P.TEXTS)) add(`gmail TEXTS.${key}`, typeof text === "function" ? text(4) : text);
const plan = { recipients: [{ address: "a@x.example", method: "tls", reason: "domain requires verified TLS (tls.required_domains)" },
  { address: "b@y.example", method: "brand-new", reason: "MX lookup failed" }] };
const replies = [
  null, undefined, 42, "allow", {}, { ok: false }, { ok: true }, { ok: true, answer: {} },
  { ok: false, error: { code: "bad_request", message: "Unknown op 'compose2'." } },
  { ok: false, error: { code: "internal_error", message: "KeyError: 'draft'" } },
  { ok: true, answer: { decision: "maybe" } },
  { ok: true, answer: { decision: "allow", stamp: "v1.a.b", plan } },
  { ok: true, answer: { decision: "sent", id: "m1", plan } },
  { ok: true, answer: { decision: "held" } }, { ok: true, answer: { decision: "blocked" } },
  { ok: true, answer: { decision: "held", message: "Held for review: Your IT team has not finished setting up the secure portal." } },
];
for (const reply of replies) {
  const result = P.outcome(reply);
  for (const part of [result.title, result.text, ...(result.lines || [])]) {
    if (part) add(`gmail outcome ${JSON.stringify(reply)}`, part);
  }
}
for (const message of ["Specified native messaging host not found.", "Native host has exited.",
  "Access to native messaging forbidden", "Error when communicating with the native messaging host."]) {
  add(`gmail disconnect "${message}"`, disconnectReason({ message }).error.message);
}
const silent = () => ({ onMessage: { addListener() {} }, onDisconnect: { addListener() {} }, postMessage() {}, disconnect() {} });
add("gmail timeout", (await askHost(silent, { id: 1, op: "hello" }, { timeoutMs: 5 })).error.message);
const garbled = () => {
  const port = silent();
  port.onMessage.addListener = (listen) => setTimeout(() => listen({ id: 1, op: "chunk", seq: 3, total: 4, data: "" }), 1);
  return port;
};
add("gmail bad chunk", (await askHost(garbled, { id: 1, op: "hello" }, { timeoutMs: 1000 })).error.message);
if (!(new Reassembler() instanceof Reassembler)) throw new Error("unreachable");

console.warn = quiet;
process.stdout.write(JSON.stringify(texts));
