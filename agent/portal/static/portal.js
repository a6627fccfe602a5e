// Opens a sealed Postseal message entirely in the browser, after the recipient proved they
// read their mailbox (a one-time code, or the sender's passcode).
// The key comes from the URL fragment (never sent to the server); the blob is
// nonce(12) || AES-256-GCM ciphertext+tag, with the message id as associated data.
// A reply is sealed the same way under the same key, with "<id>/reply/<reply id>" as
// associated data, so the server stores it without being able to read it.
"use strict";

const id = location.pathname.split("/").pop();
const api = `/api/v1/messages/${encodeURIComponent(id)}`;
let key = null;
let verifyKind = "code";

function b64urlToBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}
function b64ToBytes(text) { return b64urlToBytes(text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")); }
function bytesToB64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function randomId() { return bytesToB64(crypto.getRandomValues(new Uint8Array(16))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }

function show(elementId, value) {
  const node = document.getElementById(elementId);
  node.textContent = value;  // textContent only: nothing in a message is ever run as markup
  return node;
}
function status(text, kind) {
  const node = show("status", text);
  node.className = kind || "";
  node.hidden = !text;
}
function fail(text) { status(text, "error"); }
// Dates as a person reads them, in the reader's own language and time zone ("Tuesday 15
// December 2026" or "Tuesday, December 15, 2026"), never an ISO date.
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
const momentFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric",
                                                          hour: "numeric", minute: "2-digit" });
function day(unix) { return dayFormat.format(new Date(unix * 1000)); }
function sentAt(header) {
  const when = new Date(header);
  return header && !isNaN(when) ? momentFormat.format(when) : header;
}

// The clinic's name, logo and support contact (GET /api/v1/branding), written as text: the
// page runs no inline script or style, and nothing from the server is read as markup.
async function brand() {
  let branding;
  try { branding = await (await fetch("/api/v1/branding", { cache: "no-store" })).json(); } catch (e) { return; }
  document.getElementById("brand").hidden = !(branding.name || branding.logo);
  if (branding.name) {
    show("brand-name", branding.name);
    document.title = `Secure message from ${branding.name}`;
  }
  if (branding.logo) {
    const logo = document.getElementById("brand-logo");
    logo.src = branding.logo;
    logo.alt = branding.name ? `${branding.name} logo` : "";
    logo.hidden = false;
  }
  const support = branding.support || {};
  const ways = [["phone", "tel:"], ["email", "mailto:"], ["url", ""]].filter(([k]) => support[k]);
  if (!ways.length) return;
  show("support-name", branding.name || "the sender");
  const list = document.getElementById("support-ways");
  ways.forEach(([k, scheme]) => {
    const link = document.createElement("a");
    link.href = scheme + (k === "phone" ? support[k].replace(/[^0-9+]/g, "") : support[k]);
    link.textContent = support[k];
    list.appendChild(link);
  });
  document.getElementById("support").hidden = false;
}

async function json(response) { try { return await response.json(); } catch (e) { return {}; } }

async function post(path, body) {
  return fetch(`${api}${path}`, { method: "POST", headers: { "Content-Type": "application/json" },
                                  body: JSON.stringify(body || {}), credentials: "same-origin" });
}

async function start() {
  const fragment = location.hash.slice(1);
  if (!fragment) { fail("This link is incomplete: the part after # holds the key. Open the link exactly as it came in the e-mail."); return; }
  if (!window.crypto || !crypto.subtle) { fail("This browser cannot decrypt messages (no Web Crypto). Please use a current browser."); return; }
  try { key = await crypto.subtle.importKey("raw", b64urlToBytes(fragment), "AES-GCM", false, ["encrypt", "decrypt"]); }
  catch (e) { fail("This message could not be decrypted: the link is damaged or incomplete."); return; }
  let info;
  try {
    const response = await fetch(`${api}/info`, { cache: "no-store", credentials: "same-origin" });
    if (response.status === 404) { fail("This message does not exist or is no longer available."); return; }
    info = await response.json();
  } catch (e) { fail("The message could not be fetched. Check your connection and reload."); return; }
  if (info.state !== "ok") { fail(info.message); return; }
  show("expires", day(info.expires));
  show("expiry-note", `You can open it until ${day(info.expires)}.`).hidden = false;
  verifyKind = info.verify;
  if (info.verified) { await openMessage(); return; }
  status("");
  document.getElementById("verify").hidden = false;
  if (verifyKind === "passcode") {
    show("verify-text", "The sender gave you a passcode for this message (by phone or in person). Type it below.");
    document.getElementById("send-code").hidden = true;
    show("code-label", "Passcode");
    document.getElementById("code").removeAttribute("inputmode");
    document.getElementById("code-form").hidden = false;
  } else {
    show("verify-text", `To open it, we e-mail a code to ${info.recipient}. The code works for 10 minutes.`);
  }
}

async function sendCode() {
  const button = document.getElementById("send-code");
  button.disabled = true;
  const response = await post("/code");
  const data = await json(response);
  if (response.status === 202) {
    status(`We sent a code to ${data.sent_to}. It can take a minute to arrive.`, "ok");
    document.getElementById("code-form").hidden = false;
    document.getElementById("code").focus();
  } else {
    fail(data.error || `The portal answered ${response.status}. Please try again.`);
  }
  button.disabled = false;
}

async function submitCode(event) {
  event.preventDefault();
  const value = document.getElementById("code").value.trim();
  if (!value) { fail(verifyKind === "passcode" ? "Type the passcode first." : "Type the code from the e-mail first."); return; }
  const response = await post("/session", verifyKind === "passcode" ? { passcode: value } : { code: value });
  const data = await json(response);
  if (!response.ok) { fail(data.error || `The portal answered ${response.status}.`); document.getElementById("code").select(); return; }
  document.getElementById("verify").hidden = true;
  await openMessage();
}

async function openMessage() {
  status("Opening your message…");
  let response;
  try { response = await fetch(`${api}/blob`, { cache: "no-store", credentials: "same-origin" }); }
  catch (e) { fail("The message could not be fetched. Check your connection and reload."); return; }
  if (!response.ok) { fail((await json(response)).error || `The portal answered ${response.status}. Please try again later.`); return; }
  const blob = new Uint8Array(await response.arrayBuffer());
  let doc;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: blob.slice(0, 12), additionalData: new TextEncoder().encode(id) }, key, blob.slice(12));
    doc = JSON.parse(new TextDecoder().decode(plain));
  } catch (e) { fail("This message could not be decrypted: the link is damaged or incomplete."); return; }
  show("subject", doc.subject || "(no subject)");
  show("from", doc.from); show("to", doc.to); show("date", sentAt(doc.date));
  if (doc.cc) { show("cc", doc.cc).hidden = false; document.getElementById("cc-label").hidden = false; }
  show("text", doc.text);
  const list = document.getElementById("attachments");
  for (const [index, att] of (doc.attachments || []).entries()) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([b64ToBytes(att.data)], { type: "application/octet-stream" }));
    link.download = att.filename;
    link.textContent = `${att.filename} (${Math.max(1, Math.round(att.size / 1024))} KB)`;
    link.addEventListener("click", () => { post("/receipt", { event: "download", index }); });
    const item = document.createElement("li");
    item.appendChild(link);
    list.appendChild(item);
  }
  document.getElementById("attachments-section").hidden = !(doc.attachments || []).length;
  status("");
  document.getElementById("message").hidden = false;
  document.title = "Secure message opened";
}

async function readFile(file) {
  return new Uint8Array(await file.arrayBuffer());
}

async function sendReply(event) {
  event.preventDefault();
  const text = document.getElementById("reply-text").value;
  const files = Array.from(document.getElementById("reply-files").files || []);
  const note = document.getElementById("reply-status");
  if (!text.trim() && !files.length) { note.textContent = "Write a reply or attach a file first."; note.className = "error"; return; }
  const button = document.getElementById("send-reply");
  button.disabled = true;
  note.className = ""; note.textContent = "Sealing and sending your reply…";
  const attachments = [];
  for (const file of files) {
    attachments.push({ filename: file.name, content_type: file.type || "application/octet-stream",
                       data: bytesToB64(await readFile(file)) });
  }
  const replyId = randomId();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify({ format: "postseal-portal-reply-v1", text, attachments }));
  const sealed = new Uint8Array(await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(`${id}/reply/${replyId}`) }, key, plain));
  const body = new Uint8Array(iv.length + sealed.length);
  body.set(iv); body.set(sealed, iv.length);
  const response = await fetch(`${api}/replies/${replyId}`, { method: "PUT", body, credentials: "same-origin",
                                                              headers: { "Content-Type": "application/octet-stream" } });
  button.disabled = false;
  if (response.status === 201) {
    note.className = "ok";
    note.textContent = "Your reply was sent securely. The sender receives it encrypted.";
    document.getElementById("reply-form").reset();
  } else {
    note.className = "error";
    note.textContent = (await json(response)).error || `The reply was not sent (the portal answered ${response.status}).`;
  }
}

document.getElementById("send-code").addEventListener("click", sendCode);
document.getElementById("code-form").addEventListener("submit", submitCode);
document.getElementById("reply-form").addEventListener("submit", sendReply);
brand();
start();
