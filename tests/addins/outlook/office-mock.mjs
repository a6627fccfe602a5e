// A stand-in for Office.js with the documented shapes, for the add-in's node tests:
// callbacks receive an AsyncResult {status: "succeeded" | "failed", value, error}
// (office-js-docs-reference: office.asyncresult, office.mailboxenums.attachmentcontentformat,
// office.internetheaders, office.mailboxevent). Each call's callback runs on a later
// macrotask, as Outlook's do, never synchronously.

const later = (fn) => setImmediate(fn);

function succeeded(value) {
  return { status: "succeeded", value, error: undefined, asyncContext: undefined };
}

function failed(message, code = 9000) {
  return { status: "failed", value: undefined, error: { name: "GenericError", message, code }, asyncContext: undefined };
}

function callback(args) {
  const fn = args[args.length - 1];
  if (typeof fn !== "function") throw new Error("Office.js mock: the last argument must be the callback");
  return fn;
}

function recipients(list) {
  return {
    getAsync(...args) {
      const done = callback(args);
      later(() => done(succeeded(list.map((address) => ({ emailAddress: address, displayName: address.split("@")[0] })))));
    },
  };
}

// draft: {from, to, cc, bcc, subject, body, attachments: [{id, name, attachmentType, contentType, size,
//   isInline, content: {format, content}} | {..., fail: "message"}]}
// options: {supported: ["1.12", ...], noFromApi, headerFailure, bodyFailure}
export function createOffice(draft = {}, options = {}) {
  const supported = new Set(options.supported || ["1.1", "1.5", "1.7", "1.8", "1.10", "1.12"]);
  const record = { headers: {}, associated: {}, calls: [] };
  const attachments = draft.attachments || [];
  const item = {
    itemType: "message",
    to: recipients(draft.to || []),
    cc: recipients(draft.cc || []),
    bcc: recipients(draft.bcc || []),
    subject: {
      getAsync(...args) {
        const done = callback(args);
        later(() => done(succeeded(draft.subject || "")));
      },
    },
    body: {
      getAsync(coercionType, ...rest) {
        const done = callback(rest);
        record.calls.push(["body.getAsync", coercionType]);
        later(() => done(options.bodyFailure ? failed(options.bodyFailure)
          : coercionType === "html" ? succeeded(draft.body || "") : failed("the mock answers html only")));
      },
    },
    getAttachmentsAsync(...args) {
      const done = callback(args);
      later(() => done(succeeded(attachments.map(({ id, name, attachmentType, contentType, size, isInline }) => (
        { id, name, attachmentType: attachmentType || "file", contentType, size: size || 0, isInline: Boolean(isInline) })))));
    },
    getAttachmentContentAsync(id, ...rest) {
      const done = callback(rest);
      record.calls.push(["getAttachmentContentAsync", id]);
      const found = attachments.find((a) => a.id === id);
      later(() => done(!found ? failed("no such attachment", 9022)
        : found.fail ? failed(found.fail, 9021) : succeeded(found.content)));
    },
    internetHeaders: {
      setAsync(headers, ...rest) {
        const done = callback(rest);
        later(() => {
          if (options.headerFailure) return done(failed(options.headerFailure));
          Object.assign(record.headers, headers);
          return done(succeeded(undefined));
        });
      },
    },
  };
  if (!options.noFromApi) {
    item.from = {
      getAsync(...args) {
        const done = callback(args);
        later(() => done(succeeded({ emailAddress: draft.from, displayName: "Dr Lee" })));
      },
    };
  }
  const Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Html: "html", Text: "text" },
    MailboxEnums: {
      AttachmentContentFormat: { Base64: "base64", Url: "url", Eml: "eml", ICalendar: "iCalendar" },
      AttachmentType: { File: "file", Item: "item", Cloud: "cloud" },
    },
    context: {
      requirements: { isSetSupported: (name, version) => name === "Mailbox" && supported.has(version) },
      mailbox: {
        item,
        userProfile: { emailAddress: draft.userEmail || draft.from || "" },
      },
    },
    actions: {
      associate(name, fn) {
        record.associated[name] = fn;
      },
    },
    onReady(callbackFn) {
      const info = { host: "Outlook", platform: "OfficeOnline" };
      return Promise.resolve().then(() => (callbackFn ? callbackFn(info) : undefined)).then(() => info);
    },
  };
  return { Office, record };
}

// The event object Outlook hands an OnMessageSend handler; completed() may be called once.
export function sendEvent() {
  const completions = [];
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  return {
    event: {
      type: "olkMessageSend",
      completed(options) {
        completions.push(options);
        resolveDone(options);
      },
    },
    completions,
    done,
  };
}
