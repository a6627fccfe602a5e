// The service worker: the only part allowed to talk to the native host. Content scripts
// hand it a draft; it asks `postseal native-host` and hands back the host's reply as is.
import { askHost, HOST_NAME } from "./native.js";

let nextId = 1;

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type !== "postseal-compose" || sender.id !== chrome.runtime.id) return false;
  const request = { id: nextId++, op: "compose", draft: message.draft };
  askHost(() => chrome.runtime.connectNative(HOST_NAME), request,
    { lastError: () => chrome.runtime.lastError }).then(sendResponse);
  return true; // the answer comes asynchronously
});
