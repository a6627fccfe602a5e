// Every Gmail DOM selector Postseal relies on, and nothing else: when Gmail changes its
// markup, this is the one file to update. Gmail's compose markup is not an API. The names
// below follow the markup Gmail serves and that gmail.js documents (KartikTalwar/gmail.js,
// src/gmail.js: compose root `div.M9`, inline when inside `td.Bu`, `input[name=draft]`,
// `input[name=subjectbox]`, `input[name=from]`, `div[contenteditable=true]`). When a compose
// window is found but one of the REQUIRED parts is not, content.js fails closed.
//
// A classic script (content scripts cannot be modules) that is also a valid ES module, so
// node's test runner can import it; it only adds to globalThis.Postseal.
(function (root) {
  const Postseal = (root.Postseal = root.Postseal || {});

  const selectors = {
    // A compose window: the floating "New Message" dialog, an inline reply or forward in a
    // conversation (td.Bu), and the pop-out window (mail.google.com/mail/?view=cm).
    compose: "div.M9",
    inlineContainer: "td.Bu",
    // Things that look like a compose window even when `compose` no longer matches: if any
    // of them is outside every recognised compose window, Gmail changed its markup.
    composeLike: 'input[name="subjectbox"], div[contenteditable="true"][g_editable="true"], div[aria-label="Message Body"][contenteditable="true"]',
    composeLikeRoot: 'div[role="dialog"], form, td.Bu, div.AD',

    // REQUIRED parts of a compose window.
    send: 'div[role="button"].aoO, div[role="button"][data-tooltip^="Send"]',
    recipients: '[name="to"], [aria-label="To recipients"]',
    subject: 'input[name="subjectbox"]',
    body: 'div[contenteditable="true"][aria-label="Message Body"], div.Am.Al.editable[contenteditable="true"], div[g_editable="true"][contenteditable="true"]',

    // Optional parts.
    moreSendOptions: 'div[role="button"][aria-label^="More send options"], div[role="button"][data-tooltip^="More send options"]',
    discard: 'div[role="button"].og, div[role="button"][aria-label^="Discard draft"]',
    draftId: 'input[name="draft"]',
    from: 'input[name="from"]',
    // Recipients of one field ("to", "cc", "bcc"): chips carry the address in an attribute;
    // older markup keeps hidden inputs; what is typed but not yet a chip is still sent.
    fieldChips: (field) => `[name="${field}"] [data-hovercard-id], [name="${field}"] [email]`,
    fieldHidden: (field) => `input[type="hidden"][name="${field}"]`,
    fieldTyped: (field) => `[name="${field}"] input:not([type="hidden"]), textarea[name="${field}"], input[name="${field}"]:not([type="hidden"])`,
    attachmentChip: "div.dL",
    attachmentName: "div.vI",
    fileInput: 'input[type="file"]',
    accountLabel: 'a[aria-label^="Google Account:"]',
    // Where a banner goes inside a compose window: above the body, else at its top.
    bannerAnchor: 'input[name="subjectbox"]',
    // Any control that may act: in a compose window that failed its self-check every one of
    // them is stopped (we no longer know which of them sends).
    anyControl: '[role="button"], button, input[type="submit"], input[type="button"], [role="menuitem"]',
  };

  const REQUIRED = ["send", "recipients", "subject", "body"];
  const LABELS = { send: "the Send button", recipients: "the recipient field", subject: "the subject", body: "the message body" };

  // The parts of one compose window; `missing` names the required ones not found.
  function composeParts(compose) {
    const parts = {};
    for (const name of ["send", "recipients", "subject", "body", "moreSendOptions", "discard", "draftId", "from"]) {
      parts[name] = compose.querySelector(selectors[name]);
    }
    parts.missing = REQUIRED.filter((name) => !parts[name]).map((name) => LABELS[name]);
    parts.inline = !!compose.closest(selectors.inlineContainer);
    return parts;
  }

  // Recognised compose windows, and roots of compose-like markup that none of them holds.
  function findComposes(doc) {
    const known = Array.from(doc.querySelectorAll(selectors.compose));
    const strays = new Set();
    for (const el of doc.querySelectorAll(selectors.composeLike)) {
      if (known.some((c) => c.contains(el)) || el.closest(".postseal-banner")) continue;
      strays.add(el.closest(selectors.composeLikeRoot) || el.parentElement || el);
    }
    return { known, strays: Array.from(strays) };
  }

  Postseal.selectors = selectors;
  Postseal.composeParts = composeParts;
  Postseal.findComposes = findComposes;
})(globalThis);
