// A fake of the agent's add-in origin for the node tests: a fetch that answers like
// agent/ingress/addin.py would, and records what it was asked.

export const ORIGIN = "https://localhost:8743";
export const TOKEN = "pairing-token-for-tests";
export const STAMP = "v1.eyJ2ZXJkaWN0IjoiYWJjZGVmIn0.c2lnbmF0dXJlc2lnbmF0dXJlc2ln";

export const DRAFT = {
  from: "dr.lee@valleyclinic.example",
  to: ["nurse@valleyclinic.example"],
  cc: ["billing@harborbilling.example"],
  bcc: ["archive@valleyclinic.example"],
  subject: "Lab results",
  body: "<p>Results attached.</p>",
  attachments: [
    { id: "att-1", name: "labs.pdf", contentType: "application/pdf",
      content: { format: "base64", content: "JVBERi0xLjQK" } },
  ],
};

export function json(status, body) {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status, headers: { "Content-Type": "application/json" },
  });
}

// answer: what POST /addin/v1/compose returns — a Response, a function of the request, or
// "hang" (never answers until aborted) or "refuse" (connection refused).
export function fakeAgent({ answer, pairing = json(200, { token: TOKEN }) } = {}) {
  const requests = [];
  let announce;
  const reached = new Promise((resolve) => { announce = resolve; });
  async function fetch(url, init = {}) {
    const request = { url, method: init.method || "GET", headers: init.headers || {},
      body: init.body ? JSON.parse(init.body) : undefined, signal: init.signal };
    requests.push(request);
    announce(request);
    const reply = url.endsWith("/addin/v1/pairing") ? pairing : answer;
    const value = typeof reply === "function" ? reply(request) : reply;
    if (value === "refuse") throw new TypeError("fetch failed: connect ECONNREFUSED 127.0.0.1:8743");
    if (value === "hang") {
      return new Promise((_resolve, reject) => {
        init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    }
    return value.clone ? value.clone() : value;
  }
  return { fetch, requests, reached };
}

// The page of the HTML runtime, with the pairing token the agent filled in.
export function pageWithToken(token = TOKEN) {
  return {
    querySelector(selector) {
      return selector === 'meta[name="postseal-pairing"]' ? { getAttribute: () => token } : null;
    },
  };
}
