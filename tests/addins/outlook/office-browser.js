// Served in place of https://appsforoffice.microsoft.com/lib/1/hosted/office.js in the task
// pane's browser test (the CDN is not reachable offline). The same documented shapes as
// office-mock.mjs: AsyncResult callbacks on a later task, compose-mode item methods, onReady.
// The draft comes from window.POSTSEAL_TEST_DRAFT, set by the test before the page loads;
// handlers given to Office.actions.associate and headers set on the item are kept on window.
(function () {
  const draft = window.POSTSEAL_TEST_DRAFT || {};
  const later = (fn) => setTimeout(fn, 0);
  const ok = (value) => ({ status: "succeeded", value });
  const last = (args) => args[args.length - 1];
  const recipients = (list) => ({
    getAsync: (...args) => later(() => last(args)(ok((list || []).map((a) => ({ emailAddress: a, displayName: a }))))),
  });
  const item = {
    itemType: "message",
    to: recipients(draft.to), cc: recipients(draft.cc), bcc: recipients(draft.bcc),
    from: { getAsync: (...args) => later(() => last(args)(ok({ emailAddress: draft.from }))) },
    subject: { getAsync: (...args) => later(() => last(args)(ok(draft.subject || ""))) },
    body: { getAsync: (type, ...args) => later(() => last(args)(ok(draft.body || ""))) },
    getAttachmentsAsync: (...args) => later(() => last(args)(ok([]))),
    getAttachmentContentAsync: (id, ...args) => later(() => last(args)({ status: "failed", error: { message: "none" } })),
    internetHeaders: {
      setAsync: (headers, ...args) => later(() => { Object.assign(window.POSTSEAL_TEST_HEADERS, headers); last(args)(ok()); }),
    },
  };
  window.POSTSEAL_TEST_HEADERS = {};
  window.POSTSEAL_TEST_HANDLERS = {};
  window.Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Html: "html", Text: "text" },
    MailboxEnums: { AttachmentContentFormat: { Base64: "base64", Url: "url", Eml: "eml", ICalendar: "iCalendar" } },
    context: {
      requirements: { isSetSupported: (name, version) => name === "Mailbox" && Number(version) <= 1.12 },
      mailbox: { item, userProfile: { emailAddress: draft.from } },
    },
    actions: { associate(name, fn) { window.POSTSEAL_TEST_HANDLERS[name] = fn; } },
    onReady(fn) { return new Promise((resolve) => later(() => resolve(fn && fn({ host: "Outlook" })))); },
  };
})();
