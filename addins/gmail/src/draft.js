// The draft of addins/PROTOCOL.md, read from one Gmail compose window, and what each of the
// agent's answers means for the page. No chrome.* here: node's test runner imports it too.
(function (root) {
  const Postseal = (root.Postseal = root.Postseal || {});
  const ADDRESS = /[^\s<>,;"']+@[^\s<>,;"']+\.[^\s<>,;"']+/g;

  // "Dr Lee <lee@x.example>, b@y.example; c@z" → ["lee@x.example", "b@y.example"]
  function parseAddresses(text) {
    return Array.from(new Set((String(text || "").match(ADDRESS) || []).map((a) => a.toLowerCase())));
  }

  function fieldAddresses(compose, field) {
    const S = Postseal.selectors;
    const found = [];
    for (const chip of compose.querySelectorAll(S.fieldChips(field))) {
      found.push(...parseAddresses(chip.getAttribute("data-hovercard-id") || chip.getAttribute("email")));
    }
    for (const input of compose.querySelectorAll(S.fieldHidden(field))) found.push(...parseAddresses(input.value));
    for (const input of compose.querySelectorAll(S.fieldTyped(field))) found.push(...parseAddresses(input.value));
    return Array.from(new Set(found));
  }

  // The sender: the compose's From chooser, else the signed-in account (the account
  // button's label, else the window title "Inbox - someone@example - Gmail").
  function senderOf(compose, doc) {
    const S = Postseal.selectors;
    const chosen = compose.querySelector(S.from);
    const candidates = [chosen && chosen.value,
      doc.querySelector(S.accountLabel)?.getAttribute("aria-label"), doc.title];
    for (const text of candidates) {
      const [address] = parseAddresses(text);
      if (address) return address;
    }
    return "";
  }

  // Files the page gave us when they were attached (file picker or drop), by name.
  const files = new Map();
  function rememberFiles(list) {
    for (const file of list || []) files.set(file.name, file);
  }

  function readBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  async function attachmentsOf(compose) {
    const S = Postseal.selectors;
    const out = [];
    for (const chip of compose.querySelectorAll(S.attachmentChip)) {
      const name = (chip.querySelector(S.attachmentName)?.textContent || chip.textContent || "").trim();
      const file = files.get(name);
      if (!file) {
        // A forwarded or Drive attachment: Gmail never hands its bytes to the page. The
        // agent reads it through the Gmail API by draft id once accounts land (issue 9);
        // until then it cannot vouch for it and blocks the send.
        out.push({ name, unavailable: TEXTS.attachmentOnline });
        continue;
      }
      try {
        out.push({ name, content_type: file.type || "application/octet-stream", content_base64: await readBase64(file) });
      } catch (err) {
        console.warn(`Postseal: reading ${name} failed: ${err && err.name}`); // for IT
        out.push({ name, unavailable: TEXTS.attachmentUnreadable });
      }
    }
    return out;
  }

  async function collectDraft(compose, doc) {
    const parts = Postseal.composeParts(compose);
    const draft = {
      client: "gmail",
      from: senderOf(compose, doc),
      to: fieldAddresses(compose, "to"),
      cc: fieldAddresses(compose, "cc"),
      bcc: fieldAddresses(compose, "bcc"),
      subject: parts.subject ? parts.subject.value : "",
      body: { type: "html", content: parts.body ? parts.body.innerHTML : "" },
      attachments: await attachmentsOf(compose),
    };
    const draftId = parts.draftId && parts.draftId.value;
    if (draftId) draft.draft_id = draftId;
    return draft;
  }

  // Every sentence the page itself shows (content.js), in one table the tests read
  // (tests/addins/texts.mjs): plain words, no codes, no exception text.
  const TEXTS = {
    checkingTitle: "Postseal is checking this message…",
    checkingText: "It is sent as soon as Postseal agrees.",
    brokenTitle: "Postseal cannot check this message",
    brokenText: "Gmail has changed its page, so Postseal cannot check messages from this window and " +
      "sending from it is turned off. Your draft is kept; ask your IT team to update Postseal.",
    changedTitle: "Not sent: the message changed",
    changedText: "The message changed while Postseal checked it. Press Send again.",
    unreadableTitle: "Not sent: Postseal could not check this message",
    unreadableText: "Postseal could not read this draft, so it was not sent. Press Send again.",
    sentNoDiscard: "Postseal sent this message itself. Discard this draft; do not send it again.",
    scheduledTitle: "Scheduled send is off",
    scheduledText: "Postseal checks a message when it is sent, so scheduled send is not available. Press Send instead.",
    more: (n) => `and ${n} more recipients`,
    // Why an attachment was not read: the agent's "blocked" message repeats it.
    attachmentOnline: "Gmail keeps this file online and does not hand it over",
    attachmentUnreadable: "the browser could not read it",
  };

  // The agent words each recipient's line (plan.recipients[].says, agent/plain_words.py);
  // these stand in only for an agent from before it did. The technical `reason` is never shown.
  const METHODS = {
    internal: "Inside your organization: delivered through your clinic's own mail system.",
    tls: "Sent over a verified encrypted connection.",
    smime: "Encrypted with their S/MIME certificate, so only they can open it.",
    pgp: "Encrypted with their OpenPGP key, so only they can open it.",
    portal: "Goes to the secure portal: they get a link and a one-time code to read it.",
  };

  // "address: one sentence" for each recipient of the agent's plan.
  function recipientLines(answer) {
    const plan = answer && answer.plan;
    const recipients = plan && Array.isArray(plan.recipients) ? plan.recipients : [];
    return recipients.map((r) => {
      const says = typeof r.says === "string" && r.says.trim() ? r.says.trim()
        : (Object.prototype.hasOwnProperty.call(METHODS, r.method) ? METHODS[r.method] : "Postseal protects it on the way.");
      return `${String(r.address || "")}: ${says}`;
    });
  }

  // What the page does with the host's reply: "send" (Gmail sends, approved), "close" (the
  // agent sent it: discard Gmail's copy) or "stop" (nothing leaves; show why). `lines`: one
  // sentence per recipient, for the note shown once it has gone.
  function outcome(reply) {
    if (!reply || typeof reply !== "object") {
      return { action: "stop", kind: "error", title: "Not sent: Postseal did not answer",
        text: "Postseal did not answer, so this message was not sent. Press Send again." };
    }
    if (!reply.ok) {
      // The host words what a clinician can act on (not running, not installed, too large, no
      // answer in time); a malformed request or a fault inside the host is for IT, not for them.
      const error = reply.error || {};
      const forClinician = !["bad_request", "internal_error"].includes(error.code) && typeof error.message === "string";
      return { action: "stop", kind: "error", title: "Not sent: Postseal could not check this message",
        text: (forClinician && error.message) || "Postseal could not check this message, so it was not sent. " +
          "Press Send again; if it keeps happening, tell your IT team." };
    }
    const answer = reply.answer || {};
    switch (answer.decision) {
      case "allow":
        return { action: "send", kind: "ok", text: "Checked by Postseal and sent", lines: recipientLines(answer) };
      case "sent":
        return { action: "close", kind: "ok", text: "Sent protected by Postseal", lines: recipientLines(answer) };
      case "held": {
        // The agent's message opens with the title's own words ("Held for review: …").
        const text = String(answer.message || "").replace(/^Held for review:\s*/i, "");
        return { action: "stop", kind: "held", title: "Held for review: not sent",
          text: text ? text.charAt(0).toUpperCase() + text.slice(1) : "Postseal keeps it until it is reviewed." };
      }
      case "blocked":
        return { action: "stop", kind: "error", title: "Blocked by Postseal: not sent", text: answer.message || "Your organization's policy blocks this message." };
      default:
        return { action: "stop", kind: "error", title: "Not sent: Postseal's answer could not be read",
          text: "Postseal's answer could not be read, so this message was not sent. Press Send again." };
    }
  }

  Postseal.parseAddresses = parseAddresses;
  Postseal.collectDraft = collectDraft;
  Postseal.rememberFiles = rememberFiles;
  Postseal.outcome = outcome;
  Postseal.recipientLines = recipientLines;
  Postseal.TEXTS = TEXTS;
})(globalThis);
