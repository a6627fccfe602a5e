// The draft of addins/PROTOCOL.md, read from the message being composed.
//
// A compose item cannot be read as one EML: getAsFileAsync exists on Office.MessageRead
// only (office-js-docs-reference, office.messageread.yml). So the draft is rebuilt from its
// parts: recipients, subject, body (body.getAsync) and attachments (getAttachmentsAsync, then
// getAttachmentContentAsync for each).

import { base64OfText } from "./base64.mjs";
import { officeCall } from "./office-async.mjs";

// Words the clinician may read in the blocked answer ("could not read the attachment …").
export const CLOUD_ATTACHMENT = "it is a link to a file stored online, not the file";
export const NOT_HANDED_OVER = "Outlook could not hand it over";
export const UNKNOWN_FORMAT = "Outlook handed it over in a form Postseal cannot read";

async function addresses(Office, item, field) {
  const recipients = item[field];
  // A message compose item always has to, cc and bcc (Mailbox 1.1). If one is missing we
  // cannot see every recipient, and a draft with unseen recipients must not be checked as
  // if it had none.
  if (!recipients || typeof recipients.getAsync !== "function") {
    throw new Error(`Outlook did not give the ${field} recipients`);
  }
  const list = await officeCall(Office, `reading the ${field} recipients`, (done) => recipients.getAsync(done));
  return (list || []).map((r) => String((r && r.emailAddress) || "").trim()).filter(Boolean);
}

async function sender(Office, item) {
  // item.from in compose mode needs Mailbox 1.7; without it the mailbox owner is the sender.
  if (item.from && typeof item.from.getAsync === "function") {
    const from = await officeCall(Office, "reading the sender", (done) => item.from.getAsync(done));
    if (from && from.emailAddress) return String(from.emailAddress);
  }
  return String(Office.context.mailbox.userProfile.emailAddress || "");
}

function mimeType(value) {
  return typeof value === "string" && /^[\w.+-]+\/[\w.+-]+$/.test(value) ? value : undefined;
}

function withExtension(name, extension) {
  return name.toLowerCase().endsWith(extension) ? name : `${name}${extension}`;
}

// One attachment as the protocol wants it. Anything we could not read goes as
// `unavailable` with the reason: the agent counts it as uninspectable, never as nothing.
export async function readAttachment(Office, item, details) {
  const name = String(details.name || "attachment");
  const Format = Office.MailboxEnums.AttachmentContentFormat;
  let content;
  try {
    content = await officeCall(Office, "reading the attachment",
      (done) => item.getAttachmentContentAsync(details.id, done));
  } catch (error) {
    // Outlook's own error text is for IT (the console), not for the clinician's message.
    if (globalThis.console) console.warn(`Postseal: reading attachment ${name} failed: ${error.message}`);
    return { name, unavailable: NOT_HANDED_OVER };
  }
  const format = content && content.format;
  if (format === Format.Base64) {
    const out = { name, content_base64: String(content.content || "") };
    const type = mimeType(details.contentType);
    if (type) out.content_type = type;
    return out;
  }
  if (format === Format.Eml) {
    return { name: withExtension(name, ".eml"), content_type: "message/rfc822",
      content_base64: base64OfText(content.content || "") };
  }
  if (format === Format.ICalendar) {
    return { name: withExtension(name, ".ics"), content_type: "text/calendar",
      content_base64: base64OfText(content.content || "") };
  }
  if (format === Format.Url) {
    return { name, unavailable: CLOUD_ATTACHMENT };
  }
  if (globalThis.console) console.warn(`Postseal: attachment ${name} came in an unknown format: ${String(format)}`);
  return { name, unavailable: UNKNOWN_FORMAT };
}

export async function collectDraft(Office) {
  const item = Office.context.mailbox.item;
  const [to, cc, bcc] = [
    await addresses(Office, item, "to"),
    await addresses(Office, item, "cc"),
    await addresses(Office, item, "bcc"),
  ];
  const subject = await officeCall(Office, "reading the subject", (done) => item.subject.getAsync(done));
  const body = await officeCall(Office, "reading the body",
    (done) => item.body.getAsync(Office.CoercionType.Html, done));
  const from = await sender(Office, item);
  const list = await officeCall(Office, "listing the attachments", (done) => item.getAttachmentsAsync(done));
  const attachments = [];
  // One at a time: attachments can be large, and the runtime's memory is not ours to spend.
  for (const details of list || []) {
    attachments.push(await readAttachment(Office, item, details));
  }
  return {
    client: "outlook",
    from,
    to,
    cc,
    bcc,
    subject: String(subject || ""),
    body: { type: "html", content: String(body || "") },
    attachments,
  };
}
