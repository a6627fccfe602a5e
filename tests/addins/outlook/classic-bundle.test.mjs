// Classic Outlook on Windows loads one classic script, web/launchevent.js, with no imports and
// no page. It is generated from the modules; these tests keep it in step and run it as that
// runtime would: a bare global scope with Office, fetch and timers, nothing else.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

import { OUTPUT, bundle } from "../../../addins/outlook/tools/bundle-classic.mjs";
import { createOffice, sendEvent } from "./office-mock.mjs";
import { DRAFT, ORIGIN, STAMP, TOKEN, fakeAgent, json } from "./helpers.mjs";

test("web/launchevent.js is the bundle of the current modules", () => {
  assert.equal(readFileSync(OUTPUT, "utf8"), bundle(),
    "out of date: run node addins/outlook/tools/bundle-classic.mjs");
});

function runClassic(Office, fetch) {
  const context = vm.createContext({ Office, fetch, setTimeout, clearTimeout, AbortController, console });
  vm.runInContext(readFileSync(OUTPUT, "utf8"), context, { filename: "launchevent.js" });
  return context;
}

test("the classic script registers the handler and, without a page, pairs then stamps", async () => {
  const { Office, record } = createOffice(DRAFT);
  const agent = fakeAgent({ answer: json(200, { decision: "allow", message: "ok", stamp: STAMP }) });
  const context = runClassic(Office, agent.fetch);
  assert.equal(context.document, undefined);
  const handler = record.associated.onMessageSendHandler;
  assert.equal(typeof handler, "function");
  const { event, done } = sendEvent();
  handler(event);
  // The options object comes from the script's own realm: compare its JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(await done)), { allowEvent: true });
  assert.deepEqual(agent.requests.map((r) => r.url), [`${ORIGIN}/addin/v1/pairing`, `${ORIGIN}/addin/v1/compose`]);
  assert.equal(agent.requests[1].headers["X-Postseal-Pairing"], TOKEN);
  assert.deepEqual(record.headers, { "X-Postseal-Verdict": STAMP });
});

test("the classic script blocks when the agent is down", async () => {
  const { Office, record } = createOffice(DRAFT);
  const agent = fakeAgent({ pairing: "refuse", answer: "refuse" });
  runClassic(Office, agent.fetch);
  const { event, done } = sendEvent();
  record.associated.onMessageSendHandler(event);
  const options = await done;
  assert.equal(options.allowEvent, false);
  assert.match(options.errorMessage, /Postseal is not running/);
});
