// Office.js calls take a callback that receives an AsyncResult {status, value, error}; this
// turns one call into a promise that rejects with what failed.

export class OfficeCallFailed extends Error {
  constructor(what, error) {
    const detail = (error && (error.message || error.name)) || "failed";
    super(`${what}: ${detail}`);
    this.name = "OfficeCallFailed";
    this.what = what;
  }
}

export function officeCall(Office, what, invoke) {
  return new Promise((resolve, reject) => {
    try {
      invoke((result) => {
        if (result && result.status === Office.AsyncResultStatus.Succeeded) {
          resolve(result.value);
        } else {
          reject(new OfficeCallFailed(what, result && result.error));
        }
      });
    } catch (error) {
      reject(new OfficeCallFailed(what, error));
    }
  });
}

export function supportsMailbox(Office, version) {
  try {
    return Boolean(Office.context.requirements.isSetSupported("Mailbox", version));
  } catch (_error) {
    return false;
  }
}
