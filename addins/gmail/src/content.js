// Stops every Send in Gmail until the Postseal agent has answered, and fails closed when the
// page no longer looks like the compose window selectors.js describes.
//
// Listeners sit on `window` in the capture phase and are added at document_start, before
// Gmail's own scripts run: an event reaches the window's capture listeners before any
// listener on the Send button or the editor (DOM Standard, "dispatch": capture path first),
// and stopImmediatePropagation keeps Gmail from ever seeing an unapproved Send.
(function (root) {
  const P = root.Postseal;
  const S = P.selectors;
  const T = P.TEXTS;
  const state = new WeakMap(); // compose element → { busy, approved, checked }
  const MOUSE = ["pointerdown", "mousedown", "pointerup", "mouseup", "click", "auxclick", "dblclick"];
  const KEYS = ["keydown", "keypress", "keyup"];

  function stateOf(compose) {
    if (!state.has(compose)) state.set(compose, { busy: false, approved: false });
    return state.get(compose);
  }

  function stop(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  // --- where an event happened ---------------------------------------------------------

  // { compose, parts } for a recognised compose window holding `el`, or { broken, why }
  // when `el` is in a compose window (recognised or not) that failed its self-check.
  function locate(el) {
    if (!(el instanceof Element)) return null;
    const compose = el.closest(S.compose);
    if (compose) {
      const parts = P.composeParts(compose);
      if (parts.missing.length) return { broken: compose, why: `${parts.missing.join(", ")} not found` };
      return { compose, parts };
    }
    const { strays } = P.findComposes(document);
    const stray = strays.find((s) => s.contains(el));
    if (stray) return { broken: stray, why: "this compose window is not one Postseal recognises" };
    return null;
  }


  // --- banners and toast ----------------------------------------------------------------

  // The × that closes a banner or a note (it removes `box`).
  function closeButton(box) {
    const close = document.createElement("button");
    close.className = "postseal-close";
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.textContent = "×";
    close.addEventListener("click", () => box.remove());
    return close;
  }

  function banner(container, kind, title, text) {
    container.querySelectorAll(":scope .postseal-banner").forEach((b) => b.remove());
    const box = document.createElement("div");
    box.className = `postseal-banner postseal-${kind}`;
    box.setAttribute("role", kind === "checking" ? "status" : "alert");
    const strong = document.createElement("strong");
    strong.textContent = title;
    const body = document.createElement("span");
    body.className = "postseal-text";
    body.textContent = text;
    box.append(strong, body);
    if (kind !== "broken") box.append(closeButton(box));
    const anchor = container.querySelector(S.bannerAnchor);
    if (anchor && anchor.parentElement && container.contains(anchor.parentElement) && anchor.parentElement !== container) {
      anchor.parentElement.before(box);
    } else {
      container.prepend(box);
    }
    return box;
  }

  function clearBanner(container) {
    container.querySelectorAll(":scope .postseal-banner").forEach((b) => b.remove());
  }

  // One line of what happened, then one sentence per recipient (at most MAX_LINES, then "and
  // N more"); it stays longer the more there is to read.
  const MAX_LINES = 6;
  function toast(text, lines = []) {
    const box = document.createElement("div");
    box.className = "postseal-toast";
    box.setAttribute("role", "status");
    const title = document.createElement("strong");
    title.textContent = text;
    box.append(title);
    if (lines.length) {
      const list = document.createElement("ul");
      const shown = lines.length > MAX_LINES ? lines.slice(0, MAX_LINES - 1) : lines;
      for (const line of shown) {
        // "address: sentence", the address set apart so the eye finds each recipient.
        const item = document.createElement("li");
        const cut = line.indexOf(": ");
        if (cut > 0) {
          const address = document.createElement("span");
          address.className = "postseal-address";
          address.textContent = line.slice(0, cut);
          item.append(address, line.slice(cut));
        } else {
          item.textContent = line;
        }
        list.append(item);
      }
      if (shown.length < lines.length) {
        const more = document.createElement("li");
        more.textContent = T.more(lines.length - shown.length);
        list.append(more);
      }
      box.append(list);
    }
    box.append(closeButton(box));
    document.querySelectorAll(".postseal-toast").forEach((old) => old.remove());
    document.body.append(box);
    setTimeout(() => box.remove(), 8000 + 2000 * Math.min(lines.length, MAX_LINES));
  }

  // What changed on the page (`why`) is for IT: it goes on the banner's data-postseal-why
  // attribute and the console, not into the sentence the clinician reads.
  function failClosed(container, why) {
    console.warn(`Postseal: this compose window is turned off: ${why}`); // for IT
    const box = banner(container, "broken", T.brokenTitle, T.brokenText);
    box.setAttribute("data-postseal-why", why);
    container.querySelectorAll(S.anyControl).forEach((c) => {
      if (!c.closest(".postseal-banner")) c.classList.add("postseal-disabled");
    });
  }

  // --- the check ---------------------------------------------------------------------------

  function fingerprint(draft) {
    return JSON.stringify([draft.from, draft.to, draft.cc, draft.bcc, draft.subject, draft.body,
      draft.attachments.map((a) => [a.name, a.content_base64 ? a.content_base64.length : a.unavailable])]);
  }

  function ask(draft) {
    return new Promise((resolve) => {
      try {
        chrome.runtime.sendMessage({ type: "postseal-compose", draft }, (reply) => {
          resolve(chrome.runtime.lastError ? null : reply);
        });
      } catch (err) {
        resolve(null); // the extension was updated or disabled under this page
      }
    });
  }

  function release(compose, sendButton) {
    const s = stateOf(compose);
    s.approved = true;
    try {
      for (const type of ["mousedown", "mouseup", "click"]) {
        sendButton.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, view: window, button: 0 }));
      }
    } finally {
      s.approved = false;
    }
  }

  async function check(compose) {
    const s = stateOf(compose);
    if (s.busy) return;
    s.busy = true;
    compose.setAttribute("data-postseal", "checking");
    banner(compose, "checking", T.checkingTitle, T.checkingText);
    let result;
    try {
      const draft = await P.collectDraft(compose, document);
      const reply = await ask(draft);
      result = P.outcome(reply);
      if (result.action === "send") {
        const now = await P.collectDraft(compose, document);
        if (fingerprint(now) !== fingerprint(draft)) {
          result = { action: "stop", kind: "error", title: T.changedTitle, text: T.changedText };
        }
      }
    } catch (err) {
      console.warn(`Postseal: reading the draft failed: ${err && err.message}`); // for IT
      result = { action: "stop", kind: "error", title: T.unreadableTitle, text: T.unreadableText };
    } finally {
      s.busy = false;
    }
    compose.setAttribute("data-postseal", result.action === "stop" ? result.kind : result.action);
    const parts = P.composeParts(compose);
    if (result.action === "send") {
      clearBanner(compose);
      if (parts.send) release(compose, parts.send);
      toast(result.text, result.lines);
    } else if (result.action === "close") {
      clearBanner(compose);
      toast(result.text, result.lines);
      if (parts.discard) {
        parts.discard.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, view: window }));
      } else {
        banner(compose, "held", result.text, T.sentNoDiscard);
      }
    } else {
      banner(compose, result.kind === "held" ? "held" : "error", result.title, result.text);
    }
  }

  // --- the listeners -------------------------------------------------------------------------

  function onMouse(event) {
    const where = locate(event.target);
    if (!where) return;
    if (where.broken) {
      if (event.target.closest(S.anyControl) && !event.target.closest(".postseal-banner")) {
        stop(event);
        if (event.type === "click") failClosed(where.broken, where.why);
      }
      return;
    }
    const { compose, parts } = where;
    if (parts.moreSendOptions && parts.moreSendOptions.contains(event.target)) {
      stop(event);
      if (event.type === "click") {
        banner(compose, "error", T.scheduledTitle, T.scheduledText);
      }
      return;
    }
    if (!parts.send.contains(event.target) || stateOf(compose).approved) return;
    stop(event);
    if (event.type === "click") check(compose);
  }

  function isSendShortcut(event) {
    return event.key === "Enter" && (event.ctrlKey || event.metaKey);
  }

  function onKey(event) {
    const where = locate(event.target);
    if (!where) return;
    if (where.broken) {
      const onControl = event.target.closest(S.anyControl) && (event.key === "Enter" || event.key === " ");
      if (isSendShortcut(event) || onControl) {
        stop(event);
        if (event.type === "keydown") failClosed(where.broken, where.why);
      }
      return;
    }
    const { compose, parts } = where;
    const onSend = parts.send.contains(event.target) && (event.key === "Enter" || event.key === " ");
    if (!isSendShortcut(event) && !onSend) return;
    stop(event);
    if (event.type === "keydown" && !event.repeat) check(compose);
  }

  for (const type of MOUSE) root.addEventListener(type, onMouse, true);
  for (const type of KEYS) root.addEventListener(type, onKey, true);

  // Files handed to Gmail (picker or drop) are remembered so the agent can read them.
  root.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.matches(S.fileInput)) P.rememberFiles(event.target.files);
  }, true);
  root.addEventListener("drop", (event) => P.rememberFiles(event.dataTransfer && event.dataTransfer.files), true);

  // --- the self-check as compose windows come and go ---------------------------------------

  let scheduled = false;
  function scan() {
    scheduled = false;
    const { known, strays } = P.findComposes(document);
    for (const compose of known) {
      const parts = P.composeParts(compose);
      if (parts.missing.length) {
        compose.setAttribute("data-postseal", "broken");
        failClosed(compose, `${parts.missing.join(", ")} not found`);
      } else if (compose.getAttribute("data-postseal") === "broken") {
        compose.removeAttribute("data-postseal");
        clearBanner(compose);
        compose.querySelectorAll(".postseal-disabled").forEach((c) => c.classList.remove("postseal-disabled"));
      } else if (!compose.hasAttribute("data-postseal")) {
        compose.setAttribute("data-postseal", "ready");
      }
    }
    for (const stray of strays) {
      if (stray.getAttribute("data-postseal") !== "broken") {
        stray.setAttribute("data-postseal", "broken");
        failClosed(stray, "this compose window is not one Postseal recognises");
      }
    }
  }

  function schedule(mutations) {
    // Our own banners do not call for a new scan.
    if (mutations && mutations.every((m) => [...m.addedNodes, ...m.removedNodes].every(
      (n) => n.nodeType === 1 && n.classList.contains("postseal-banner")))) return;
    if (scheduled) return;
    scheduled = true;
    setTimeout(scan, 250); // let Gmail finish building a window before judging it
  }

  new MutationObserver(schedule).observe(document, { childList: true, subtree: true });
  schedule();
})(globalThis);
