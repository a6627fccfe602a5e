// The extension's side of the native messaging protocol, against a fake port that behaves
// like chrome.runtime.Port (onMessage / onDisconnect listeners, postMessage, disconnect).
import assert from "node:assert/strict";
import { test } from "node:test";

import { CHUNK_LIMIT, Reassembler, askHost, asciiJson, disconnectReason, requestFrames }
  from "../../../addins/gmail/src/native.js";

function fakePort({ answer, disconnectWith } = {}) {
  const listeners = { message: [], disconnect: [] };
  const posted = [];
  const port = {
    posted,
    disconnected: false,
    onMessage: { addListener: (fn) => listeners.message.push(fn) },
    onDisconnect: { addListener: (fn) => listeners.disconnect.push(fn) },
    postMessage(frame) {
      // Chrome serialises each message; a frame that cannot be JSON is a bug here.
      posted.push(JSON.parse(JSON.stringify(frame)));
      if (answer) {
        const frames = answer(posted);
        if (frames) setImmediate(() => frames.forEach((f) => listeners.message.forEach((fn) => fn(f))));
      }
    },
    disconnect() { port.disconnected = true; },
    hangUp() { listeners.disconnect.forEach((fn) => fn()); },
  };
  if (disconnectWith) setImmediate(() => port.hangUp());
  return port;
}

test("a small request travels as one frame", () => {
  const request = { id: 1, op: "compose", draft: { subject: "Hi" } };
  assert.deepEqual(requestFrames(request), [request]);
});

test("a large request is cut into frames under 512 KB that join back to the request", () => {
  // Quotes and backslashes double when escaped again inside `data`: the worst case.
  const request = { id: 7, op: "compose", draft: { body: '"\\'.repeat(900_000) + "é🩺" } };
  const frames = requestFrames(request);
  assert.ok(frames.length > 3);
  for (const [seq, frame] of frames.entries()) {
    assert.equal(frame.op, "chunk");
    assert.equal(frame.seq, seq);
    assert.equal(frame.total, frames.length);
    assert.ok(JSON.stringify(frame).length <= CHUNK_LIMIT, `frame ${seq}: ${JSON.stringify(frame).length}`);
  }
  assert.deepEqual(JSON.parse(frames.map((f) => f.data).join("")), request);
});

test("the JSON text is ASCII, so one character is one byte", () => {
  assert.match(asciiJson({ s: "Café 🩺" }), /^[\x00-\x7f]*$/);
  assert.deepEqual(JSON.parse(asciiJson({ s: "Café 🩺" })), { s: "Café 🩺" });
});

test("chunked answers are reassembled; out of order is an error", () => {
  const whole = { id: 3, ok: true, answer: { decision: "allow" } };
  const text = JSON.stringify(whole);
  const r = new Reassembler();
  assert.equal(r.add({ id: 3, op: "chunk", seq: 0, total: 2, data: text.slice(0, 10) }), null);
  assert.deepEqual(r.add({ id: 3, op: "chunk", seq: 1, total: 2, data: text.slice(10) }), whole);
  assert.throws(() => new Reassembler().add({ id: 4, op: "chunk", seq: 1, total: 2, data: "x" }), /out of order/);
});

test("askHost settles with the host's answer and closes the port", async () => {
  let port;
  const reply = await askHost(() => (port = fakePort({ answer: () => [{ id: 5, ok: true, answer: { decision: "held" } }] })),
    { id: 5, op: "compose", draft: {} });
  assert.deepEqual(reply, { id: 5, ok: true, answer: { decision: "held" } });
  assert.ok(port.disconnected);
});

test("an answer for another request id is not taken for this one", async () => {
  const reply = await askHost(() => fakePort({ answer: () => [{ id: 99, ok: true, answer: { decision: "allow" } }] }),
    { id: 6, op: "compose", draft: {} }, { timeoutMs: 50 });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, "timeout");
});

test("no answer in time is a timeout that does not send", async () => {
  const reply = await askHost(() => fakePort(), { id: 1, op: "compose", draft: {} }, { timeoutMs: 30 });
  assert.deepEqual(reply.error.code, "timeout");
  assert.match(reply.error.message, /not sent/);
});

test("a missing host says Postseal is not installed; a host that exits says it is not running", async () => {
  const missing = await askHost(() => fakePort({ disconnectWith: true }), { id: 1, op: "hello" },
    { lastError: () => ({ message: "Specified native messaging host not found." }) });
  assert.equal(missing.error.code, "not_installed");
  assert.match(missing.error.message, /Postseal is not installed on this computer.*Ask your IT team to install Postseal/);
  assert.doesNotMatch(missing.error.message, /native messaging|host/);
  const exited = await askHost(() => fakePort({ disconnectWith: true }), { id: 1, op: "hello" },
    { lastError: () => ({ message: "Native host has exited." }) });
  assert.equal(exited.error.code, "agent_unreachable");
  assert.equal(disconnectReason(null).error.code, "agent_unreachable");
});

test("connectNative throwing (extension reloaded) is an answer, not an exception", async () => {
  const reply = await askHost(() => { throw new Error("Access to native messaging forbidden"); }, { id: 1, op: "hello" });
  assert.equal(reply.ok, false);
  assert.equal(reply.error.code, "not_installed");
});

test("a garbled chunked answer is refused", async () => {
  const reply = await askHost(() => fakePort({ answer: () => [{ id: 2, op: "chunk", seq: 0, total: 1, data: "{not json" }] }),
    { id: 2, op: "compose", draft: {} });
  assert.equal(reply.error.code, "bad_answer");
});
