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
  assert.equal(result.text, "Held for review: SSN.");
});

test("addresses are read from display forms, lower-cased, once each", () => {
  assert.deepEqual(parseAddresses('Dr Lee <Lee@X.example>, b@y.example; "c" <lee@x.example>'),
    ["lee@x.example", "b@y.example"]);
  assert.deepEqual(parseAddresses("no address here"), []);
  assert.deepEqual(parseAddresses(null), []);
});
