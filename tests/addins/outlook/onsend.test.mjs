import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";

import { CONNECT_BUDGET_MS, HANDLER_BUDGET_MS } from "../../../addins/outlook/web/config.mjs";
import { onMessageSend, register } from "../../../addins/outlook/web/onsend.mjs";
import { MESSAGES } from "../../../addins/outlook/web/verdict.mjs";
import { createOffice, sendEvent } from "./office-mock.mjs";
import { DRAFT, ORIGIN, STAMP, TOKEN, fakeAgent, json, pageWithToken } from "./helpers.mjs";

async function send({ draft = DRAFT, answer, pairing, office = {}, document = pageWithToken() } = {}) {
  const { Office, record } = createOffice(draft, office);
  const agent = fakeAgent({ answer, pairing });
  const { event, completions } = sendEvent();
  await onMessageSend(event, { Office, fetch: agent.fetch, document, location: undefined });
  assert.equal(completions.length, 1, "event.completed must be called exactly once");
  return { options: completions[0], record, agent };
}

const allow = () => json(200, { decision: "allow", message: "Checked by Postseal.", stamp: STAMP, plan: {} });

describe("allow", () => {
  test("stamps the header, then allows", async () => {
    const { options, record, agent } = await send({ answer: allow() });
    assert.deepEqual(options, { allowEvent: true });
    assert.deepEqual(record.headers, { "X-Postseal-Verdict": STAMP });
    const [compose] = agent.requests;
    assert.equal(compose.url, `${ORIGIN}/addin/v1/compose`);
    assert.equal(compose.method, "POST");
    assert.equal(compose.headers["X-Postseal-Pairing"], TOKEN);
    assert.equal(compose.headers["Content-Type"], "application/json");
  });

  test("sends every recipient, bcc included, with the body as html and the attachment", async () => {
    const { agent } = await send({ answer: allow() });
    const draft = agent.requests[0].body;
    assert.equal(draft.client, "outlook");
    assert.equal(draft.from, "dr.lee@valleyclinic.example");
    assert.deepEqual(draft.to, ["nurse@valleyclinic.example"]);
    assert.deepEqual(draft.cc, ["billing@harborbilling.example"]);
    assert.deepEqual(draft.bcc, ["archive@valleyclinic.example"]);
    assert.deepEqual(draft.body, { type: "html", content: "<p>Results attached.</p>" });
    assert.deepEqual(draft.attachments, [
      { name: "labs.pdf", content_type: "application/pdf", content_base64: "JVBERi0xLjQK" }]);
  });

  test("never allows without a stamp", async () => {
    for (const stamp of [undefined, "", "not-a-stamp", "v1..", 42]) {
      const { options, record } = await send({ answer: json(200, { decision: "allow", message: "ok", stamp }) });
      assert.equal(options.allowEvent, false, `stamp ${stamp}`);
      assert.match(options.errorMessage, /cannot read/);
      assert.deepEqual(record.headers, {});
    }
  });

  test("blocks when Outlook cannot set the header", async () => {
    const { options } = await send({ answer: allow(), office: { headerFailure: "The header could not be set." } });
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, MESSAGES.header);
  });
});

describe("the agent keeps the message", () => {
  test("sent blocks Outlook's own copy with the agent's words", async () => {
    const message = "Postseal is sending this message protected (portal); your mail program does not send "
      + "its own copy. You can close this draft.";
    const { options, record } = await send({ answer: json(200, { decision: "sent", message, id: "m1" }) });
    assert.deepEqual(options, { allowEvent: false, errorMessage: message });
    assert.deepEqual(record.headers, {});
  });

  test("held blocks with the reason", async () => {
    const message = "Held for review: PHI to an external recipient. You can close this draft.";
    const { options } = await send({ answer: json(200, { decision: "held", message, id: "m2" }) });
    assert.deepEqual(options, { allowEvent: false, errorMessage: message });
  });

  test("blocked blocks with the reason", async () => {
    const message = "Your organization's policy blocks social security numbers in email.";
    const { options } = await send({ answer: json(200, { decision: "blocked", message }) });
    assert.deepEqual(options, { allowEvent: false, errorMessage: message });
  });

  test("a long reason is cut to Outlook's 500 characters", async () => {
    const message = `Held for review: ${"a very long reason ".repeat(60)}`;
    const { options } = await send({ answer: json(200, { decision: "held", message }) });
    assert.ok(options.errorMessage.length <= 500);
    assert.ok(options.errorMessage.endsWith("…"));
  });

  test("Markdown and the details button only where the client supports them", async () => {
    const message = "Blocked: *policy* [rule 7].";
    const { options } = await send({ answer: json(200, { decision: "blocked", message }),
      office: { supported: ["1.12", "1.14", "1.15"] } });
    assert.equal(options.errorMessage, message);
    assert.equal(options.errorMessageMarkdown, "**Not sent.** Blocked: \\*policy\\* \\[rule 7\\].");
    assert.ok(options.errorMessageMarkdown.length <= 500);
    assert.equal(options.cancelLabel, "See details");
    assert.equal(options.commandId, "postsealTaskpaneButton");
  });
});

describe("failures block with what to do", () => {
  test("agent unreachable", async () => {
    const { options } = await send({ answer: "refuse" });
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, MESSAGES.unreachable);
    assert.match(options.errorMessage, /Start Postseal from the Start menu.*press Send again/);
  });

  test("HTTP 500 blocks with a plain sentence; the status and the agent's words are for IT", async () => {
    const { options } = await send({ answer: json(500, { error: { code: "internal", message: "outbox locked" } }) });
    assert.equal(options.allowEvent, false);
    assert.match(options.errorMessage, /^Postseal could not check this message, so it was not sent/);
    assert.doesNotMatch(options.errorMessage, /HTTP|500|outbox locked/);
    assert.match(options.errorMessage, /press Send again/i);
  });

  test("a draft the agent refuses (400 with a decision) shows the agent's words for the sender", async () => {
    const { options } = await send({ answer: json(400, { decision: "blocked",
      message: "Postseal cannot check this draft: the To line: 'x@' is not an email address.",
      error: { code: "bad_draft", message: "draft.to: 'x@' is not an email address" } }) });
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, "Postseal cannot check this draft: the To line: 'x@' is not an email address.");
  });

  test("malformed JSON", async () => {
    const { options } = await send({ answer: json(200, "{\"decision\": \"allow\", ") });
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, MESSAGES.malformed);
  });

  test("an unknown decision", async () => {
    const { options } = await send({ answer: json(200, { decision: "maybe", message: "?" }) });
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, MESSAGES.malformed);
  });

  test("Outlook cannot read the body", async () => {
    const { options, agent } = await send({ answer: allow(), office: { bodyFailure: "Internal error" } });
    assert.equal(options.allowEvent, false);
    assert.match(options.errorMessage, /^Outlook could not give Postseal this draft, so it was not sent/);
    assert.doesNotMatch(options.errorMessage, /Internal error|reading the body/);
    assert.equal(agent.requests.length, 0);
  });

  test("a page the agent did not pair asks the pairing endpoint, and a refusal blocks", async () => {
    const { options, agent } = await send({ answer: allow(), document: pageWithToken("__POSTSEAL_PAIRING__"),
      pairing: json(403, { error: { code: "forbidden", message: "unknown origin" } }) });
    assert.equal(agent.requests[0].url, `${ORIGIN}/addin/v1/pairing`);
    assert.equal(options.allowEvent, false);
    assert.match(options.errorMessage, /^Postseal could not check this message/);
    assert.doesNotMatch(options.errorMessage, /HTTP|403/);
  });
});

describe("pairing tokens lapse: the agent restarted, or the page is old", () => {
  const refuseStale = (request) => (request.headers["X-Postseal-Pairing"] === "fresh-token" ? allow()
    : json(401, { decision: "blocked", error: { code: "not_paired", message: "token from before a restart" } }));

  test("a refused page token is replaced from the pairing endpoint, once, and the send goes on", async () => {
    const { options, agent } = await send({ answer: refuseStale, pairing: json(200, { token: "fresh-token" }) });
    assert.deepEqual(options, { allowEvent: true });
    assert.deepEqual(agent.requests.map((r) => [r.url.slice(ORIGIN.length), r.headers["X-Postseal-Pairing"]]), [
      ["/addin/v1/compose", TOKEN], ["/addin/v1/pairing", undefined], ["/addin/v1/compose", "fresh-token"]]);
  });

  test("a new token refused as well blocks with what to do, without asking a third time", async () => {
    const { options, agent } = await send({ answer: refuseStale, pairing: json(200, { token: "also-stale" }) });
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, MESSAGES.unpaired);
    assert.equal(agent.requests.filter((r) => r.url.endsWith("/compose")).length, 2);
  });
});

describe("attachments Outlook cannot hand over go as unavailable, never dropped", () => {
  test("a failing getAttachmentContentAsync and a cloud attachment", async () => {
    const draft = { ...DRAFT, attachments: [
      { id: "a1", name: "scan.pdf", contentType: "application/pdf", fail: "The attachment could not be retrieved." },
      { id: "a2", name: "plan.docx", attachmentType: "cloud", content: { format: "url", content: "https://contoso.sharepoint.example/plan.docx" } },
      { id: "a3", name: "Referral", attachmentType: "item", content: { format: "eml", content: "Subject: Referral\r\n\r\nCafé\r\n" } },
      { id: "a4", name: "Visit", attachmentType: "item", content: { format: "iCalendar", content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" } },
    ] };
    const answer = json(200, { decision: "blocked", message: "Postseal could not read the attachment 'scan.pdf'." });
    const { agent } = await send({ draft, answer });
    const sent = agent.requests[0].body.attachments;
    assert.equal(sent.length, 4);
    assert.deepEqual(sent[0], { name: "scan.pdf", unavailable: "Outlook could not hand it over" });
    assert.deepEqual(sent[1], { name: "plan.docx", unavailable: "it is a link to a file stored online, not the file" });
    assert.equal(sent[2].name, "Referral.eml");
    assert.equal(sent[2].content_type, "message/rfc822");
    assert.equal(Buffer.from(sent[2].content_base64, "base64").toString("utf8"), "Subject: Referral\r\n\r\nCafé\r\n");
    assert.equal(sent[3].name, "Visit.ics");
    assert.equal(sent[3].content_type, "text/calendar");
  });
});

describe("time limits", () => {
  test("an agent slower than the budget is given up on before Outlook's 5 minutes", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const { Office, record } = createOffice(DRAFT);
    const agent = fakeAgent({ answer: "hang" });
    const { event, completions, done } = sendEvent();
    const running = onMessageSend(event, { Office, fetch: agent.fetch, document: pageWithToken(), location: undefined });
    const request = await agent.reached;
    assert.equal(request.url, `${ORIGIN}/addin/v1/compose`);
    t.mock.timers.tick(HANDLER_BUDGET_MS - 1);
    assert.equal(completions.length, 0, "no answer before the budget is spent");
    t.mock.timers.tick(1);
    const options = await done;
    await running;
    assert.ok(HANDLER_BUDGET_MS < 5 * 60 * 1000);
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, MESSAGES.timeout);
    assert.equal(request.signal.aborted, true, "the request is cancelled");
    assert.deepEqual(record.headers, {});
    assert.equal(completions.length, 1);
  });

  test("without a page, a pairing endpoint that does not answer fails the connect check", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const { Office } = createOffice(DRAFT);
    const agent = fakeAgent({ answer: allow(), pairing: "hang" });
    const { event, done } = sendEvent();
    const running = onMessageSend(event, { Office, fetch: agent.fetch, document: undefined, location: undefined });
    await agent.reached;
    t.mock.timers.tick(CONNECT_BUDGET_MS);
    const options = await done;
    await running;
    assert.equal(options.allowEvent, false);
    assert.equal(options.errorMessage, MESSAGES.timeout);
    assert.equal(agent.requests.length, 1, "the draft is never posted");
  });

  test("a stamp arriving after the budget is not used", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const { Office, record } = createOffice(DRAFT);
    let release;
    const late = new Promise((resolve) => { release = resolve; });
    // An agent that ignores the abort and answers allow after the handler gave up.
    const agent = fakeAgent({ answer: () => late });
    const { event, completions, done } = sendEvent();
    const running = onMessageSend(event, { Office, fetch: agent.fetch, document: pageWithToken(), location: undefined });
    await agent.reached;
    t.mock.timers.tick(HANDLER_BUDGET_MS);
    assert.equal((await done).allowEvent, false);
    release(allow());
    await running;
    assert.equal(completions.length, 1);
    assert.deepEqual(record.headers, {});
  });
});

test("register associates the manifest's handler name", async () => {
  const { Office, record } = createOffice(DRAFT);
  register(Office);
  assert.equal(typeof record.associated.onMessageSendHandler, "function");
});
