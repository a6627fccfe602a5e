// Where the add-in finds the agent, and the limits the client imposes on it.
// One module so the manifest, the pages and the classic-Windows bundle agree.

// The agent's add-in origin (config `ingress.addin_port`, default 8743). In the HTML runtime the
// pages come from this origin, so location.origin is used; the JavaScript-only runtime of
// classic Outlook on Windows has no page and needs absolute URLs (docs/outlook/autolaunch.md,
// "Request external data"), so it uses this value.
export const DEFAULT_ORIGIN = "https://localhost:8743";

export const PATHS = {
  compose: "/addin/v1/compose",
  check: "/addin/v1/check",
  pairing: "/addin/v1/pairing",
};

// Outlook shows "taking longer than expected" after 5 s and times the handler out at 5 min
// (docs/outlook/onmessagesend-onappointmentsend-events.md). We give up at 4 min, so the
// user always reads our message rather than Outlook's generic timeout.
export const HANDLER_BUDGET_MS = 4 * 60 * 1000;
// Fetching the pairing token is the connect check of the JavaScript-only runtime: an agent
// that does not answer this small request within 15 s will not answer the real one.
export const CONNECT_BUDGET_MS = 15 * 1000;

// SmartAlertsEventCompletedOptions.errorMessage and errorMessageMarkdown: "500 characters or
// less" (office-js-docs-reference, office.smartalertseventcompletedoptions.yml).
export const MESSAGE_LIMIT = 500;
// cancelLabel: "20 characters or less" (same file).
export const DETAILS_LABEL = "See details";
// The task pane button's id in both manifests; a Smart Alerts dialog button can open it
// (commandId, Mailbox 1.14).
export const TASKPANE_COMMAND = "postsealTaskpaneButton";

export const STAMP_HEADER = "X-Postseal-Verdict";
// agent/stamp.py: v1.<base64url payload>.<base64url signature>, at most 16 KB.
export const STAMP_PATTERN = /^v1\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$/;
export const STAMP_MAX = 16384;
