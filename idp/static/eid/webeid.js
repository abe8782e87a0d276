/*
 * Web eID for the school login service: talk to the Web eID browser extension.
 *
 * Why our own file and not the official library: the official JavaScript library
 * (@web-eid/web-eid-library, web-eid.js) is published only on GitLab's npm registry, which this
 * project's build machines cannot reach, and the login page must not load scripts from a CDN
 * (our Content-Security-Policy is script-src 'self'). What the page needs from the library is
 * small: the extension's message protocol, which is public and stable (web-eid.js
 * src/services/WebExtensionService.ts and src/models/Action.ts; web-eid-webextension's content
 * script). This module implements that protocol for authentication only, in the same shape, so
 * that it could be swapped for the official library later without touching the page glue.
 *
 * The protocol, all through window.postMessage on the page's own window:
 *   page      -> extension  {action: "web-eid:authenticate", libraryVersion, challengeNonce, options}
 *   extension -> page       {action: "web-eid:authenticate-ack"}         within 1 s, else no extension
 *   extension -> page       {action: "web-eid:authenticate-success", unverifiedCertificate,
 *                            algorithm, signature, format, appVersion}
 *                        or {action: "web-eid:authenticate-failure", error: {code, message, ...}}
 * (and the same with "web-eid:status" for asking the versions). Error codes are the library's
 * ErrorCode values, e.g. ERR_WEBEID_USER_CANCELLED or ERR_WEBEID_NATIVE_UNAVAILABLE; this module
 * adds none of its own beyond those the library itself raises (ACTION_PENDING, ACTION_TIMEOUT,
 * EXTENSION_UNAVAILABLE, CONTEXT_INSECURE, MISSING_PARAMETER).
 *
 * Never trust what comes back: the server validates the token (idp/eid/webeid/validator.py).
 */

/** The library version we speak (web-eid.js config.VERSION); the extension checks the major. */
export const LIBRARY_VERSION = "2.1.0";

const EXTENSION_HANDSHAKE_TIMEOUT = 1000;          // the extension acknowledges within 1 s
const NATIVE_APP_HANDSHAKE_TIMEOUT = 5 * 1000;     // the native app starts within 5 s
const DEFAULT_USER_INTERACTION_TIMEOUT = 2 * 60 * 1000;  // PIN entry
const MAX_EXTENSION_LOAD_DELAY = 1000;             // the content script may load after us

export const ErrorCode = Object.freeze({
  ERR_WEBEID_ACTION_TIMEOUT: "ERR_WEBEID_ACTION_TIMEOUT",
  ERR_WEBEID_USER_TIMEOUT: "ERR_WEBEID_USER_TIMEOUT",
  ERR_WEBEID_VERSION_MISMATCH: "ERR_WEBEID_VERSION_MISMATCH",
  ERR_WEBEID_VERSION_INVALID: "ERR_WEBEID_VERSION_INVALID",
  ERR_WEBEID_EXTENSION_UNAVAILABLE: "ERR_WEBEID_EXTENSION_UNAVAILABLE",
  ERR_WEBEID_NATIVE_UNAVAILABLE: "ERR_WEBEID_NATIVE_UNAVAILABLE",
  ERR_WEBEID_UNKNOWN_ERROR: "ERR_WEBEID_UNKNOWN_ERROR",
  ERR_WEBEID_CONTEXT_INSECURE: "ERR_WEBEID_CONTEXT_INSECURE",
  ERR_WEBEID_USER_CANCELLED: "ERR_WEBEID_USER_CANCELLED",
  ERR_WEBEID_NATIVE_INVALID_ARGUMENT: "ERR_WEBEID_NATIVE_INVALID_ARGUMENT",
  ERR_WEBEID_NATIVE_FATAL: "ERR_WEBEID_NATIVE_FATAL",
  ERR_WEBEID_ACTION_PENDING: "ERR_WEBEID_ACTION_PENDING",
  ERR_WEBEID_MISSING_PARAMETER: "ERR_WEBEID_MISSING_PARAMETER",
});

/** An error with a Web eID ``code`` (and whatever else the extension sent, e.g. requiresUpdate). */
export class WebEidError extends Error {
  constructor(code, message, details = {}) {
    super(message || code);
    this.name = "WebEidError";
    this.code = code;
    Object.assign(this, details);
  }
}

const pending = new Map();  // initial action -> {resolve, reject, ackTimer, replyTimer}
const loadedAt = Date.now();

function fromExtension(serialized) {
  // web-eid.js deserializeError: a known code keeps its code; anything else is UNKNOWN
  const known = serialized && typeof serialized.code === "string"
    && Object.hasOwn(ErrorCode, serialized.code);
  const { code, message, ...details } = serialized || {};
  return known
    ? new WebEidError(code, message, details)
    : new WebEidError(ErrorCode.ERR_WEBEID_UNKNOWN_ERROR, message);
}

function settle(action, outcome, value) {
  const entry = pending.get(action);
  if (!entry) return;
  clearTimeout(entry.ackTimer);
  clearTimeout(entry.replyTimer);
  pending.delete(action);
  entry[outcome](value);
}

window.addEventListener("message", (event) => {
  // Only messages that the extension's content script posted on this very window
  // (a frame or another origin cannot answer for it).
  if (event.source !== window || event.origin !== window.location.origin) return;
  const message = event.data;
  const action = message && typeof message.action === "string" ? message.action : "";
  const match = /^(web-eid:[a-z-]+?)-(ack|success|failure)$/.exec(action);
  if (!match) return;
  const [, initial, suffix] = match;
  const entry = pending.get(initial);
  if (!entry) return;
  if (suffix === "ack") {
    clearTimeout(entry.ackTimer);
  } else if (suffix === "success") {
    settle(initial, "resolve", message);
  } else {
    settle(initial, "reject", message.error ? fromExtension(message.error)
      : new WebEidError(ErrorCode.ERR_WEBEID_UNKNOWN_ERROR));
  }
});

function send(message, timeout) {
  if (pending.has(message.action)) {
    return Promise.reject(new WebEidError(ErrorCode.ERR_WEBEID_ACTION_PENDING));
  }
  if (!window.isSecureContext) {
    return Promise.reject(new WebEidError(ErrorCode.ERR_WEBEID_CONTEXT_INSECURE));
  }
  return new Promise((resolve, reject) => {
    const entry = { resolve, reject };
    entry.ackTimer = setTimeout(() => settle(message.action, "reject",
      new WebEidError(ErrorCode.ERR_WEBEID_EXTENSION_UNAVAILABLE)), EXTENSION_HANDSHAKE_TIMEOUT);
    entry.replyTimer = setTimeout(() => settle(message.action, "reject",
      new WebEidError(ErrorCode.ERR_WEBEID_ACTION_TIMEOUT)), timeout);
    pending.set(message.action, entry);
    window.postMessage(message, window.location.origin);
  });
}

async function extensionLoadDelay() {
  const wait = loadedAt + MAX_EXTENSION_LOAD_DELAY - Date.now();
  if (wait > 0) await new Promise((done) => setTimeout(done, wait));
}

/**
 * Ask the person's ID-card to sign ``challengeNonce`` for this origin.
 * Resolves to the authentication token {unverifiedCertificate, algorithm, signature, format,
 * appVersion} to POST to the server; rejects with a WebEidError.
 * ``options``: {lang: "et" | "en", userInteractionTimeout: ms}.
 */
export async function authenticate(challengeNonce, options = {}) {
  await extensionLoadDelay();
  if (!challengeNonce) {
    throw new WebEidError(ErrorCode.ERR_WEBEID_MISSING_PARAMETER,
      "authenticate needs a challenge nonce");
  }
  const interaction = options.userInteractionTimeout ?? DEFAULT_USER_INTERACTION_TIMEOUT;
  const reply = await send({
    action: "web-eid:authenticate",
    libraryVersion: LIBRARY_VERSION,
    challengeNonce,
    options,
  }, EXTENSION_HANDSHAKE_TIMEOUT + NATIVE_APP_HANDSHAKE_TIMEOUT + interaction);
  const { unverifiedCertificate, algorithm, signature, format, appVersion } = reply;
  return { unverifiedCertificate, algorithm, signature, format, appVersion };
}

/** The versions of this library, the extension and the native app ({library, extension, nativeApp}). */
export async function status() {
  await extensionLoadDelay();
  const reply = await send({ action: "web-eid:status", libraryVersion: LIBRARY_VERSION },
    EXTENSION_HANDSHAKE_TIMEOUT + NATIVE_APP_HANDSHAKE_TIMEOUT);
  return { library: LIBRARY_VERSION, extension: reply.extension, nativeApp: reply.nativeApp };
}
