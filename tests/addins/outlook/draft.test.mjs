import assert from "node:assert/strict";
import { test } from "node:test";

import { base64OfText } from "../../../addins/outlook/web/base64.mjs";
import { collectDraft } from "../../../addins/outlook/web/draft.mjs";
import { clip, markdownFor } from "../../../addins/outlook/web/verdict.mjs";
import { createOffice } from "./office-mock.mjs";
import { DRAFT } from "./helpers.mjs";

test("without item.from (before Mailbox 1.7) the mailbox owner is the sender", async () => {
  const { Office } = createOffice({ ...DRAFT, userEmail: "owner@valleyclinic.example" }, { noFromApi: true });
  const draft = await collectDraft(Office);
  assert.equal(draft.from, "owner@valleyclinic.example");
});

test("the body is asked for as html", async () => {
  const { Office, record } = createOffice(DRAFT);
  await collectDraft(Office);
  assert.deepEqual(record.calls.find(([name]) => name === "body.getAsync"), ["body.getAsync", "html"]);
});

test("a draft whose bcc Outlook does not expose is refused, not checked as if it had none", async () => {
  const { Office } = createOffice(DRAFT);
  delete Office.context.mailbox.item.bcc;
  await assert.rejects(collectDraft(Office), /bcc/);
});

test("base64 of text is UTF-8, as Buffer does it", () => {
  for (const text of ["", "a", "ab", "abc", "Café", "日本語", "emoji 🩺 ok", "line\r\nbreak"]) {
    assert.equal(base64OfText(text), Buffer.from(text, "utf8").toString("base64"), text);
  }
});

test("messages fit Outlook's 500 characters, Markdown escaped", () => {
  const long = "word ".repeat(200);
  assert.ok(clip(long).length <= 500);
  const markdown = markdownFor("*".repeat(600));
  assert.ok(markdown.length <= 500, `${markdown.length}`);
  assert.ok(markdown.startsWith("**Not sent.** \\*"));
});
