// Opens a sealed Postseal message entirely in the browser.
// The key comes from the URL fragment (never sent to the server); the blob is
// nonce(12) || AES-256-GCM ciphertext+tag, with the message id as associated data.
"use strict";

function b64urlToBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function b64ToBytes(text) { return b64urlToBytes(text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")); }

function show(id, value) {
  const node = document.getElementById(id);
  node.textContent = value;  // textContent only: nothing in a message is ever run as markup
  return node;
}

function fail(text) {
  const status = show("status", text);
  status.className = "error";
}

async function openMessage() {
  const id = location.pathname.split("/").pop();
  const fragment = location.hash.slice(1);
  if (!fragment) { fail("This link is incomplete: the part after # holds the key. Open the link exactly as it came in the e-mail."); return; }
  if (!window.crypto || !crypto.subtle) { fail("This browser cannot decrypt messages (no Web Crypto). Please use a current browser."); return; }
  let response;
  try { response = await fetch(`/api/v1/messages/${encodeURIComponent(id)}/blob`, { cache: "no-store" }); }
  catch (e) { fail("The message could not be fetched. Check your connection and reload."); return; }
  if (response.status === 404) { fail("This message does not exist or is no longer available."); return; }
  if (!response.ok) { fail(`The portal answered ${response.status}. Please try again later.`); return; }
  const blob = new Uint8Array(await response.arrayBuffer());
  let doc;
  try {
    const key = await crypto.subtle.importKey("raw", b64urlToBytes(fragment), "AES-GCM", false, ["decrypt"]);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: blob.slice(0, 12), additionalData: new TextEncoder().encode(id) }, key, blob.slice(12));
    doc = JSON.parse(new TextDecoder().decode(plain));
  } catch (e) { fail("This message could not be decrypted: the link is damaged or incomplete."); return; }
  show("subject", doc.subject || "(no subject)");
  show("from", doc.from); show("to", doc.to); show("date", doc.date);
  if (doc.cc) { show("cc", doc.cc).hidden = false; document.getElementById("cc-label").hidden = false; }
  show("text", doc.text);
  const list = document.getElementById("attachments");
  for (const att of doc.attachments || []) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([b64ToBytes(att.data)], { type: "application/octet-stream" }));
    link.download = att.filename;
    link.textContent = `${att.filename} (${Math.max(1, Math.round(att.size / 1024))} KB)`;
    const item = document.createElement("li");
    item.appendChild(link);
    list.appendChild(item);
  }
  document.getElementById("attachments-section").hidden = !(doc.attachments || []).length;
  document.getElementById("status").hidden = true;
  document.getElementById("message").hidden = false;
  document.title = "Secure message opened";
}

openMessage();
