// The extension's side of addins/PROTOCOL.md "Native messaging": requests go to the host
// (`postseal native-host`) over a port from chrome.runtime.connectNative; anything larger
// than one 512 KB frame travels as numbered chunks, and chunked answers are put back together.
// Plain ES module without chrome.* so node's test runner can check it with a fake port.

export const HOST_NAME = "org.postseal.agent";
export const CHUNK_LIMIT = 512 * 1024;
export const ANSWER_TIMEOUT_MS = 60_000; // PROTOCOL.md: no answer within 60 s = do not send

const NOT_INSTALLED =
  "Postseal is not installed on this computer, or not set up for this browser, so this message " +
  "cannot be checked and was not sent. Ask your IT team to install Postseal.";
const NOT_RUNNING =
  "Postseal is not running: start it from the tray or the Start menu, then press Send again.";

// JSON text with every non-ASCII character escaped: one character is one byte, so the
// chunk arithmetic below is exact, and a chunk boundary never splits a UTF-16 pair.
export function asciiJson(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

// The messages to post for one request: itself, or chunks of its JSON text. Escaping the
// text again inside `data` at most doubles it, so half the limit (less room for the
// envelope) keeps each frame under 512 KB whatever the text holds.
export function requestFrames(request, limit = CHUNK_LIMIT) {
  const text = asciiJson(request);
  if (text.length <= limit) return [request];
  const step = Math.floor(limit / 2) - 1024;
  const total = Math.ceil(text.length / step);
  const frames = [];
  for (let seq = 0; seq < total; seq++) {
    frames.push({ id: request.id, op: "chunk", seq, total, data: text.slice(seq * step, (seq + 1) * step) });
  }
  return frames;
}

// Collects chunked answers; returns the whole message once complete, else null.
export class Reassembler {
  constructor() { this.parts = new Map(); }

  add(message) {
    if (!message || message.op !== "chunk") return message;
    const { id, seq, total, data } = message;
    const got = this.parts.get(id) ?? [];
    if (seq !== got.length) throw new Error(`answer chunk ${seq} of ${total} arrived out of order`);
    got.push(data);
    this.parts.set(id, got);
    if (got.length < total) return null;
    this.parts.delete(id);
    return JSON.parse(got.join(""));
  }
}

function failure(code, message) {
  return { ok: false, error: { code, message } };
}

// Why a port closed before answering, in words for the clinician.
export function disconnectReason(lastError) {
  const text = (lastError && lastError.message) || "";
  if (/not found|forbidden|not allowed/i.test(text)) return failure("not_installed", NOT_INSTALLED);
  return failure("agent_unreachable", NOT_RUNNING);
}

// Send one request on a fresh port and settle with the host's answer (always an object
// with `ok`; never throws). One port per request: a crashed host costs one Send, and the
// port keeps the service worker alive while it waits (Chrome 105+).
export function askHost(connect, request, { timeoutMs = ANSWER_TIMEOUT_MS, lastError = () => null } = {}) {
  return new Promise((resolve) => {
    let port;
    let settled = false;
    const reassembler = new Reassembler();
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try { port?.disconnect(); } catch { /* already closed */ }
      resolve(result);
    };
    const timer = setTimeout(() => finish(failure("timeout",
      "Postseal did not answer within 60 seconds, so this message was not sent. Press Send again.")), timeoutMs);
    try {
      port = connect();
    } catch (err) {
      finish(disconnectReason(err));
      return;
    }
    port.onMessage.addListener((message) => {
      let whole;
      try {
        whole = reassembler.add(message);
      } catch (err) {
        console.warn(`Postseal: an answer could not be put back together: ${err.message}`); // for IT
        finish(failure("bad_answer", "Postseal's answer could not be read, so this message was not sent. " +
          "Press Send again."));
        return;
      }
      if (whole && (whole.id === request.id || whole.id === null)) finish(whole);
    });
    port.onDisconnect.addListener(() => finish(disconnectReason(lastError())));
    for (const frame of requestFrames(request)) port.postMessage(frame);
  });
}
