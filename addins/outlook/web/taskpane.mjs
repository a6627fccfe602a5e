// The task pane: what Postseal would do with this draft if Send were pressed now.
// It asks the agent's check-only endpoint, which stores, queues and stamps nothing.

import { CONNECT_BUDGET_MS, HANDLER_BUDGET_MS, PATHS } from "./config.mjs";
import { agentOrigin, askAgentPaired, deadline, pairingToken } from "./agent.mjs";
import { collectDraft } from "./draft.mjs";
import { errorMessageFor, readAnswer } from "./verdict.mjs";

const HEADLINES = {
  allow: "Outlook will send it",
  sent: "Postseal will send it protected",
  held: "Held for review",
  blocked: "Blocked",
};

const METHODS = {
  internal: "Internal — inside your organization",
  tls: "Verified TLS — encrypted on the way",
  smime: "S/MIME — encrypted to their certificate",
  pgp: "OpenPGP — encrypted to their key",
  portal: "Secure portal — they read it after a one-time code",
};

// agent/policy/detectors.py's types, in a clinician's words.
const FINDINGS = {
  us_ssn: "Social Security number", npi: "NPI (provider number)", dea: "DEA number",
  mbi: "Medicare Beneficiary Identifier", mrn: "Medical record number", member_id: "Member or policy ID",
  icd10: "Diagnosis code (ICD-10)", cpt: "Procedure code (CPT)", dob: "Date of birth", phone: "Phone number",
  email: "Email address", us_address: "Street address", credit_card: "Credit card number",
  aba_routing: "Bank routing number", drivers_license: "Driver's licence number", ndc: "Drug code (NDC)",
  patient_name: "Patient name", uninspectable_attachment: "Attachment Postseal could not read",
  encrypted_archive: "Encrypted archive (not inspected)", mime_beyond_limits: "Message nested past what Postseal inspects",
};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function show(state, headline, message) {
  document.body.dataset.state = state;
  const verdict = document.getElementById("verdict");
  verdict.dataset.decision = state;
  verdict.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  document.getElementById("decision").textContent = headline;
  document.getElementById("message").textContent = message;
}

function renderRecipients(plan) {
  const list = document.getElementById("recipients");
  list.replaceChildren();
  const recipients = (plan && Array.isArray(plan.recipients)) ? plan.recipients : [];
  for (const recipient of recipients) {
    const item = element("li", `recipient method-${String(recipient.method || "unknown")}`);
    item.append(element("span", "address", String(recipient.address || "")));
    item.append(element("span", "method", METHODS[recipient.method] || String(recipient.method || "")));
    if (recipient.reason) item.append(element("span", "reason", String(recipient.reason)));
    list.append(item);
  }
  document.getElementById("recipients-section").hidden = recipients.length === 0;
}

function renderFindings(plan) {
  const list = document.getElementById("findings");
  list.replaceChildren();
  const verdict = (plan && plan.verdict) || {};
  const counts = verdict.finding_counts || {};
  for (const [type, count] of Object.entries(counts)) {
    list.append(element("li", "finding", `${FINDINGS[type] || type.replace(/_/g, " ")}: ${count}`));
  }
  for (const warning of verdict.warnings || []) {
    list.append(element("li", "finding warning", String(warning)));
  }
  document.getElementById("findings-section").hidden = list.childElementCount === 0;
}

export async function check(Office, env = {}) {
  const fetchImpl = env.fetch || globalThis.fetch;
  const origin = agentOrigin(globalThis.location);
  show("loading", "Checking this draft…", "");
  const budget = deadline(HANDLER_BUDGET_MS);
  try {
    const pair = async (fresh) => {
      const connect = deadline(CONNECT_BUDGET_MS, budget.signal);
      try {
        return await pairingToken({ fetch: fetchImpl, document, origin, signal: connect.signal, fresh });
      } finally {
        connect.clear();
      }
    };
    const token = await pair(false);
    const draft = await collectDraft(Office);
    const answer = readAnswer(await askAgentPaired({
      fetch: fetchImpl, origin, token, draft, path: PATHS.check, signal: budget.signal, repair: () => pair(true),
    }), { requireStamp: false });
    // The agent's message may open with the same words as the headline ("Held for review: …").
    const headline = HEADLINES[answer.decision];
    const message = answer.message.toLowerCase().startsWith(`${headline.toLowerCase()}: `)
      ? answer.message.slice(headline.length + 2) : answer.message;
    show(answer.decision, headline, message.charAt(0).toUpperCase() + message.slice(1));
    renderRecipients(answer.plan || null);
    renderFindings(answer.plan || null);
    return answer;
  } catch (error) {
    show("error", "Postseal cannot check this draft", errorMessageFor(error).replace(
      /,? so (this message|it) was not sent\.?/, "."));
    renderRecipients(null);
    renderFindings(null);
    return null;
  } finally {
    budget.clear();
  }
}

export function start(Office) {
  return Office.onReady(() => {
    document.getElementById("recheck").addEventListener("click", () => check(Office));
    return check(Office);
  });
}

if (globalThis.Office && globalThis.document) start(globalThis.Office);
