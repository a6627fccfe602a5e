// What the page does with each answer, and how addresses are read; draft.js is a classic
// content script that adds to globalThis.Postseal, so importing it runs it.
import assert from "node:assert/strict";
import { test } from "node:test";

import "../../../addins/gmail/src/selectors.js";
import "../../../addins/gmail/src/draft.js";

const { outcome, parseAddresses } = globalThis.Postseal;

test("only an allow answer lets Gmail send", () => {
  assert.equal(outcome({ ok: true, answer: { decision: "allow", stamp: "v1.a.b" } }).action, "send");
  assert.equal(outcome({ ok: true, answer: { decision: "sent", id: "m1" } }).action, "close");
  for (const reply of [
    { ok: true, answer: { decision: "held", message: "Held for review: SSN." } },
    { ok: true, answer: { decision: "blocked", message: "Blocked." } },
    { ok: true, answer: { decision: "maybe" } },
    { ok: true, answer: {} },
    { ok: true },
    { ok: false, error: { code: "agent_unreachable", message: "Postseal is not running" } },
    { ok: false },
    null, undefined, "allow", 42,
  ]) {
    assert.equal(outcome(reply).action, "stop", JSON.stringify(reply));
  }
});

test("a held answer shows the agent's reason", () => {
  const result = outcome({ ok: true, answer: { decision: "held", message: "Held for review: SSN." } });
  assert.equal(result.kind, "held");
  assert.equal(result.title, "Held for review: not sent");
  assert.equal(result.text, "SSN.");
});

test("addresses are read from display forms, lower-cased, once each", () => {
  assert.deepEqual(parseAddresses('Dr Lee <Lee@X.example>, b@y.example; "c" <lee@x.example>'),
    ["lee@x.example", "b@y.example"]);
  assert.deepEqual(parseAddresses("no address here"), []);
  assert.deepEqual(parseAddresses(null), []);
});

test("each recipient gets the agent's sentence, never its technical reason", () => {
  const plan = { recipients: [
    { address: "a@partner.example", method: "tls", reason: "domain requires verified TLS (tls.required_domains)",
      says: "Sent over a verified encrypted connection (required for this partner)." },
    { address: "b@family.example", method: "portal", reason: "no key on file: secure portal link with the key in the link" },
    { address: "c@x.example", method: "carrier-pigeon", reason: "???" },
  ] };
  const result = outcome({ ok: true, answer: { decision: "sent", id: "m1", plan } });
  assert.deepEqual(result.lines, [
    "a@partner.example: Sent over a verified encrypted connection (required for this partner).",
    "b@family.example: Goes to the secure portal: they get a link and a one-time code to read it.",
    "c@x.example: Postseal protects it on the way.",
  ]);
  assert.deepEqual(outcome({ ok: true, answer: { decision: "allow", stamp: "v1.a.b", plan } }).lines, result.lines);
});
