// ID-card login on a school's login page: ask the server for a challenge, let the ID-card sign
// it through the Web eID extension (./webeid.js), post the token, follow the answer.
// Texts come from the page (data-msg-*), already in the person's language.
import { authenticate, ErrorCode } from "./webeid.js";

const box = document.getElementById("idcard");
const button = document.getElementById("idcard-button");
const statusLine = document.getElementById("idcard-status");

function say(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
  statusLine.setAttribute("role", isError ? "alert" : "status");
}

function messageFor(error) {
  const m = box.dataset;
  if (error && error.requiresUpdate) return m.msgUpdate;
  switch (error && error.code) {
    case ErrorCode.ERR_WEBEID_EXTENSION_UNAVAILABLE: return m.msgExtension;
    case ErrorCode.ERR_WEBEID_NATIVE_UNAVAILABLE: return m.msgNative;
    case ErrorCode.ERR_WEBEID_VERSION_MISMATCH:
    case ErrorCode.ERR_WEBEID_VERSION_INVALID: return m.msgUpdate;
    case ErrorCode.ERR_WEBEID_USER_CANCELLED: return m.msgCancelled;
    case ErrorCode.ERR_WEBEID_USER_TIMEOUT:
    case ErrorCode.ERR_WEBEID_ACTION_TIMEOUT: return m.msgTimeout;
    case ErrorCode.ERR_WEBEID_CONTEXT_INSECURE: return m.msgInsecure;
    default: return m.msgFailed;
  }
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    // the page says Referrer-Policy: no-referrer, which would make the Origin header "null"
    referrerPolicy: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrfToken },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch { data = {}; }
  return { ok: response.ok, data };
}

async function logIn() {
  button.disabled = true;
  try {
    say(box.dataset.msgWorking);
    const challenge = await post(box.dataset.challengeUrl, {});
    if (!challenge.ok || !challenge.data.nonce) {
      say(challenge.data.error || box.dataset.msgFailed, true);
      return;
    }
    const token = await authenticate(challenge.data.nonce, { lang: box.dataset.lang });
    say(box.dataset.msgChecking);
    const answer = await post(box.dataset.loginUrl, { token });
    if (answer.ok && answer.data.redirect) {
      window.location.assign(answer.data.redirect);
      return;
    }
    say(answer.data.error || box.dataset.msgFailed, true);
  } catch (error) {
    say(messageFor(error), true);
  } finally {
    button.disabled = false;
  }
}

if (box && button) {
  button.hidden = false;
  button.addEventListener("click", logIn);
}
