// An in-memory stand-in for the session server, mounted as middleware of the web-test-runner dev
// server so the browser tests of components/ run same-origin without the real server. Routes,
// statuses and bodies follow ../../../shared/design.md ("Session server HTTP API"); tests steer it
// with special inputs and /__mock/* endpoints:
//
//   e-mail limited@example.com        429 rate_limited, retryAfter 3 (login, signup, reset, resend)
//   e-mail down@example.com           502 auth_unavailable
//   e-mail slow@example.com           504 auth_timeout
//   e-mail taken@example.com          422 on signup: email already_used
//   signup password shorter than 8    422: password too_short (the server's own check; also
//                                     a reset's and a password change's new password)
//   user@example.com / correct-horse  an existing, verified account; any other password is 401
//   /down/auth/*                      always 502 auth_unavailable (an endpoint whose server is down)
//   POST /__mock/reset                forget sessions, accounts, mail, counters, config, delay, reports
//   GET  /__mock/count                {sessionGets, configGets}: how many GET /auth/session, /auth/config arrived
//   POST /__mock/config  {…}          what GET /auth/config answers, merged into the defaults; with
//                                     emailVerification "required", signups wait for their confirmation
//                                     and unverified accounts are refused at login (403 email_not_verified)
//   GET  /__mock/mail                 [{to, kind: "reset" | "verify", token}]: the links "mailed" so far
//   POST /__mock/device?email=E       a session of E on another device; answers {id} (its public id)
//   GET  /__mock/devices?email=E      the public ids of E's sessions
//   POST /__mock/delay?ms=N           delay every unsafe /auth request by N ms (to see busy states)
//   POST /__mock/expires?in=S         session bodies say the session ends in S seconds (default 7 days)
//   POST /__mock/revoke               end every session behind the browser's back
//   POST /__mock/csp-report           CSP report-uri target; GET /__mock/csp-reports lists them
//   pages under /test/browser/csp*    served with the strict CSP of the design (and report-uri)
//   GET  /__mock/requests             [{method, path, referer}] of every request (pages, modules,
//                                     /auth) since the last reset, in order
//   GET  <base>/auth/oidc/<id>/start  302 to /test/browser/landing.html?start=<the path>&returnTo=<returnTo>
//                                     (where a real server sends the browser to the provider)
//   POST /__mock/logout-url?to=U      logouts answer 200 {"logoutUrl": U}, as for a provider's session
//   passkeys (config passkeys: true)  the six /auth/passkeys routes; a credential signs in when its
//                                     `id` is a registered passkey's and its response has a signature;
//                                     registering a credential whose id is "bad" is 400 passkey_invalid
//   GET  /__mock/passkeys             {passkeys: [{credentialId, userId, name, …}], bodies: the JSON
//                                     bodies POSTed to /auth/passkeys and /auth/passkeys/login}
import { randomUUID } from "node:crypto";

export const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'";
const COOKIE = "mock_sid";
const PASSWORD_MIN = 8;

const MESSAGES = {
  invalid_credentials: "The e-mail address or password is incorrect.",
  rate_limited: "Too many attempts. Please wait and try again.",
  auth_unavailable: "The authentication service is unavailable. Please try again later.",
  auth_timeout: "The authentication service did not answer in time. Please try again later.",
  validation_failed: "Some fields are not valid.",
  csrf_rejected: "The request was rejected by the cross-site request forgery check.",
  unsupported_media_type: "The request body must be JSON (Content-Type: application/json).",
  bad_request: "The request is malformed.",
  unauthenticated: "You are not signed in.",
  session_expired: "Your session has expired. Please sign in again.",
  not_found: "There is nothing here.",
  passkey_invalid: "The passkey could not be verified.",
  email_not_verified: "This e-mail address is not verified yet. Follow the link in the mail we sent, or ask for a new one.",
  reset_token_invalid: "This password reset link is not valid: it was used already, has expired, or is incomplete.",
  verification_token_invalid: "This verification link is not valid: it was used already, has expired, or is incomplete.",
};

const CONFIG = {
  passwordReset: true,
  emailVerification: "optional",
  passkeys: false,
  providers: [],
  minPasswordLength: PASSWORD_MIN,
};

function freshState() {
  return {
    users: new Map([["user@example.com", { id: "u-1", email: "user@example.com", password: "correct-horse", verified: true }]]),
    /** Cookie sid → {userId, id (public), createdAt, lastSeenAt, userAgent}. */
    sessions: new Map(),
    /** Link token → {kind, userId}; spent tokens are deleted. */
    tokens: new Map(),
    mail: [],
    config: { ...CONFIG },
    sessionGets: 0,
    configGets: 0,
    delayMs: 0,
    expiresInS: 7 * 24 * 3600,
    cspReports: [],
    requests: [],
    logoutUrl: undefined,
    /** {id, credentialId, userId, name, createdAt, lastUsedAt} */
    passkeys: [],
    /** The bodies of passkey registrations and logins, for the tests to read. */
    passkeyBodies: [],
  };
}

let state = freshState();

function send(ctx, status, body, headers = {}) {
  ctx.status = status;
  ctx.set("Cache-Control", "no-store");
  for (const [name, value] of Object.entries(headers)) ctx.set(name, value);
  if (body !== undefined) {
    ctx.type = "application/json";
    ctx.body = JSON.stringify(body);
  } else {
    ctx.body = null;
  }
}

function fail(ctx, status, error, extra = {}, headers = {}) {
  send(ctx, status, { error, message: MESSAGES[error] ?? error, ...extra }, headers);
}

async function readBody(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const userById = (id) => [...state.users.values()].find((candidate) => candidate.id === id);

function sessionOf(ctx) {
  const sid = ctx.cookies.get(COOKIE);
  const record = sid && state.sessions.get(sid);
  const user = record && userById(record.userId);
  if (!user) return null;
  record.lastSeenAt = new Date().toISOString();
  return { sid, user, record };
}

function authenticatedBody(user) {
  return {
    authenticated: true,
    user: { id: user.id, email: user.email, emailVerified: user.verified },
    expiresAt: new Date(Date.now() + state.expiresInS * 1000).toISOString(),
  };
}

/** A session record of `user`; `userAgent` as the real server shortens it. */
function newSession(user, userAgent = "Chrome on Linux") {
  const now = new Date().toISOString();
  return { userId: user.id, id: randomUUID().replace(/-/g, ""), createdAt: now, lastSeenAt: now, userAgent };
}

function startSession(ctx, user) {
  const old = ctx.cookies.get(COOKIE);
  if (old) state.sessions.delete(old);
  const sid = randomUUID();
  state.sessions.set(sid, newSession(user));
  ctx.cookies.set(COOKIE, sid, { httpOnly: true, sameSite: "strict", path: "/", overwrite: true });
}

function clearCookie(ctx) {
  ctx.cookies.set(COOKIE, "", { httpOnly: true, path: "/", expires: new Date(0), overwrite: true });
}

/** Ends the sessions of `userId` that `which(sid)` picks; returns how many. */
function endSessions(userId, which = () => true) {
  let ended = 0;
  for (const [sid, record] of state.sessions) {
    if (record.userId === userId && which(sid)) {
      state.sessions.delete(sid);
      ended++;
    }
  }
  return ended;
}

function mailLink(kind, user) {
  const token = randomUUID();
  state.tokens.set(token, { kind, userId: user.id });
  state.mail.push({ to: user.email, kind, token });
}

function tooShort(password) {
  return [...password].length < state.config.minPasswordLength;
}

function shortViolation(field) {
  const min = state.config.minPasswordLength;
  return { field, code: "too_short", message: `This value is too short. It should have ${min} characters or more.` };
}

/** The /auth/login and /auth/signup failures tests ask for by e-mail address. */
function scripted(ctx, email) {
  if (email === "limited@example.com") {
    fail(ctx, 429, "rate_limited", { retryAfter: 3 }, { "Retry-After": "3" });
    return true;
  }
  if (email === "down@example.com") return (fail(ctx, 502, "auth_unavailable"), true);
  if (email === "slow@example.com") return (fail(ctx, 504, "auth_timeout"), true);
  return false;
}

async function readJson(ctx) {
  if (!/^application\/json\b/.test(ctx.get("Content-Type"))) return (fail(ctx, 415, "unsupported_media_type"), undefined);
  try {
    const body = JSON.parse(await readBody(ctx));
    if (body && typeof body === "object") return body;
  } catch {
    // answered below
  }
  return (fail(ctx, 400, "bad_request"), undefined);
}

const CHALLENGE = Buffer.from("a mock challenge").toString("base64url");
const publicPasskey = ({ id, name, createdAt, lastUsedAt }) => ({ id, name, createdAt, lastUsedAt });

/** The passkey routes of design.md ("Passkeys (WebAuthn)"); true when `route` was one. */
async function passkeyRoute(ctx, route) {
  if (route !== "passkeys" && !route.startsWith("passkeys/")) return false;
  if (!state.config.passkeys) return (fail(ctx, 404, "not_found"), true);
  const method = ctx.method;
  if (route === "passkeys/login/options" && method === "POST") {
    return (
      send(ctx, 200, { challenge: CHALLENGE, rpId: "localhost", userVerification: "preferred", allowCredentials: [], timeout: 300000 }),
      true
    );
  }
  if (route === "passkeys/login" && method === "POST") {
    const body = await readJson(ctx);
    if (!body) return true;
    state.passkeyBodies.push(body);
    const passkey = state.passkeys.find((entry) => entry.credentialId === body.credential?.id);
    if (!passkey || !body.credential.response?.signature) return (fail(ctx, 401, "invalid_credentials"), true);
    passkey.lastUsedAt = new Date().toISOString();
    const user = userById(passkey.userId);
    startSession(ctx, user);
    return (send(ctx, 200, authenticatedBody(user)), true);
  }
  const current = sessionOf(ctx);
  if (!current) return (fail(ctx, 401, "unauthenticated"), true);
  const own = state.passkeys.filter((entry) => entry.userId === current.user.id);
  if (route === "passkeys/register/options" && method === "POST") {
    return (
      send(ctx, 200, {
        challenge: CHALLENGE,
        rp: { name: "Mock", id: "localhost" },
        user: { id: Buffer.from(current.user.id).toString("base64url"), name: current.user.email, displayName: current.user.email },
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
        excludeCredentials: own.map((entry) => ({ type: "public-key", id: entry.credentialId })),
        authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
        timeout: 300000,
      }),
      true
    );
  }
  if (route === "passkeys" && method === "POST") {
    const body = await readJson(ctx);
    if (!body) return true;
    state.passkeyBodies.push(body);
    const credential = body.credential;
    if (!credential?.id || credential.id === "bad" || !credential.response?.attestationObject)
      return (fail(ctx, 400, "passkey_invalid"), true);
    const passkey = {
      id: randomUUID(),
      credentialId: credential.id,
      userId: current.user.id,
      name: typeof body.name === "string" ? body.name : "Passkey",
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
    };
    state.passkeys.push(passkey);
    return (send(ctx, 201, publicPasskey(passkey)), true);
  }
  if (route === "passkeys" && method === "GET") return (send(ctx, 200, { passkeys: own.map(publicPasskey) }), true);
  if (route.startsWith("passkeys/") && method === "DELETE") {
    const id = decodeURIComponent(route.slice("passkeys/".length));
    const passkey = own.find((entry) => entry.id === id);
    if (!passkey) return (fail(ctx, 404, "not_found"), true);
    state.passkeys = state.passkeys.filter((entry) => entry !== passkey);
    return (send(ctx, 204), true);
  }
  return false;
}

/** The account lifecycle routes of design.md ("Account lifecycle"); true when `route` was one. */
async function lifecycleRoute(ctx, route) {
  const method = ctx.method;
  if (route === "password-reset" || route === "email-verification/resend") {
    if (method !== "POST") return false;
    const body = await readJson(ctx);
    if (!body) return true;
    if (typeof body.email !== "string") return (fail(ctx, 400, "bad_request"), true);
    if (body.email === "limited@example.com") return (fail(ctx, 429, "rate_limited", { retryAfter: 3 }, { "Retry-After": "3" }), true);
    const user = state.users.get(body.email);
    if (user && route === "password-reset") mailLink("reset", user);
    if (user && !user.verified && route !== "password-reset") mailLink("verify", user);
    return (send(ctx, 202, {}), true);
  }
  if (route === "password-reset/confirm" || route === "email-verification") {
    if (method !== "POST") return false;
    const body = await readJson(ctx);
    if (!body) return true;
    const kind = route === "password-reset/confirm" ? "reset" : "verify";
    const link = typeof body.token === "string" && state.tokens.get(body.token);
    if (!link || link.kind !== kind) return (fail(ctx, 400, kind === "reset" ? "reset_token_invalid" : "verification_token_invalid"), true);
    const user = userById(link.userId);
    if (kind === "verify") {
      state.tokens.delete(body.token);
      user.verified = true;
      return (send(ctx, 200, { verified: true }), true);
    }
    if (typeof body.password !== "string") return (fail(ctx, 400, "bad_request"), true);
    // A refused password does not spend the token.
    if (tooShort(body.password)) return (fail(ctx, 422, "validation_failed", { violations: [shortViolation("password")] }), true);
    state.tokens.delete(body.token);
    user.password = body.password;
    endSessions(user.id);
    startSession(ctx, user);
    return (send(ctx, 200, authenticatedBody(user)), true);
  }
  if (route === "password" || route === "sessions" || route.startsWith("sessions/")) {
    const current = sessionOf(ctx);
    if (route === "sessions" && method === "GET") {
      if (!current) return (fail(ctx, 401, "unauthenticated"), true);
      const sessions = [...state.sessions.entries()]
        .filter(([, record]) => record.userId === current.user.id)
        .map(([sid, { id, createdAt, lastSeenAt, userAgent }]) => ({ id, current: sid === current.sid, createdAt, lastSeenAt, userAgent }));
      return (send(ctx, 200, { sessions }), true);
    }
    if (route === "sessions/revoke-all" && method === "POST") {
      const body = await readJson(ctx);
      if (!body) return true;
      if (!current) return (fail(ctx, 401, "unauthenticated"), true);
      const revoked = endSessions(current.user.id, (sid) => !(body.keepCurrent === true && sid === current.sid));
      if (body.keepCurrent !== true) clearCookie(ctx);
      return (send(ctx, 200, { revoked }), true);
    }
    if (route.startsWith("sessions/") && method === "DELETE") {
      if (!current) return (fail(ctx, 401, "unauthenticated"), true);
      const id = decodeURIComponent(route.slice("sessions/".length));
      const entry = [...state.sessions.entries()].find(([, record]) => record.userId === current.user.id && record.id === id);
      if (!entry) return (fail(ctx, 404, "not_found"), true);
      state.sessions.delete(entry[0]);
      if (entry[0] === current.sid) clearCookie(ctx);
      return (send(ctx, 204), true);
    }
    if (route === "password" && method === "POST") {
      const body = await readJson(ctx);
      if (!body) return true;
      if (!current) return (fail(ctx, 401, "unauthenticated"), true);
      if (typeof body.currentPassword !== "string" || typeof body.newPassword !== "string") return (fail(ctx, 400, "bad_request"), true);
      if (body.currentPassword !== current.user.password) return (fail(ctx, 403, "invalid_credentials"), true);
      if (tooShort(body.newPassword)) return (fail(ctx, 422, "validation_failed", { violations: [shortViolation("newPassword")] }), true);
      current.user.password = body.newPassword;
      if (body.signOutOthers !== false) endSessions(current.user.id, (sid) => sid !== current.sid);
      return (send(ctx, 204), true);
    }
  }
  return false;
}

async function authRoute(ctx, route) {
  if (route === "session" && ctx.method === "GET") {
    state.sessionGets++;
    const current = sessionOf(ctx);
    return send(ctx, 200, current ? authenticatedBody(current.user) : { authenticated: false });
  }
  if (route === "config" && ctx.method === "GET") {
    state.configGets++;
    // The real server says `public, max-age=60`; the tests change the config between pages, so
    // here the browser's cache must not answer for the server.
    return send(ctx, 200, state.config);
  }
  if (ctx.method !== "GET" && ctx.get("X-CSRF") !== "1") return fail(ctx, 403, "csrf_rejected");
  if (ctx.method !== "GET" && state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
  if (await lifecycleRoute(ctx, route)) return;
  if (await passkeyRoute(ctx, route)) return;
  if (ctx.method !== "POST" || !["login", "signup", "logout"].includes(route)) {
    return fail(ctx, 404, "not_found");
  }
  if (route === "logout") {
    const sid = ctx.cookies.get(COOKIE);
    if (sid) state.sessions.delete(sid);
    clearCookie(ctx);
    return state.logoutUrl ? send(ctx, 200, { logoutUrl: state.logoutUrl }) : send(ctx, 204);
  }
  const body = await readJson(ctx);
  if (!body) return;
  const { email, password } = body;
  if (typeof email !== "string" || typeof password !== "string") return fail(ctx, 400, "bad_request");
  if (scripted(ctx, email)) return;
  const required = state.config.emailVerification === "required";
  if (route === "login") {
    const user = state.users.get(email);
    if (!user || user.password !== password) return fail(ctx, 401, "invalid_credentials");
    if (required && !user.verified) return fail(ctx, 403, "email_not_verified");
    startSession(ctx, user);
    return send(ctx, 200, authenticatedBody(user));
  }
  const violations = [];
  if (email === "taken@example.com" || state.users.has(email)) {
    violations.push({ field: "email", code: "already_used", message: "This value is already used." });
  }
  if ([...password].length < PASSWORD_MIN) violations.push(shortViolation("password"));
  if (violations.length) return fail(ctx, 422, "validation_failed", { violations });
  const user = { id: randomUUID(), email, password, verified: false };
  state.users.set(email, user);
  if (state.config.emailVerification !== "off") mailLink("verify", user);
  // With verification required, a sign-up stores no session until the address is confirmed.
  if (required) return send(ctx, 201, { authenticated: false, verificationRequired: true });
  startSession(ctx, user);
  return send(ctx, 201, authenticatedBody(user));
}

function apiRoute(ctx, path) {
  if (ctx.get("X-CSRF") !== "1") return fail(ctx, 403, "csrf_rejected");
  const current = sessionOf(ctx);
  if (!current) return fail(ctx, 401, ctx.cookies.get(COOKIE) ? "session_expired" : "unauthenticated");
  return send(ctx, 200, { ok: true, path, user: current.user.email });
}

async function mockRoute(ctx, route) {
  switch (route) {
    case "reset":
      state = freshState();
      return send(ctx, 204);
    case "count":
      return send(ctx, 200, { sessionGets: state.sessionGets, configGets: state.configGets });
    case "config":
      state.config = { ...state.config, ...JSON.parse(await readBody(ctx)) };
      return send(ctx, 204);
    case "mail":
      return send(ctx, 200, state.mail);
    case "requests":
      return send(ctx, 200, state.requests);
    case "device": {
      const user = state.users.get(ctx.query.email);
      if (!user) return fail(ctx, 404, "not_found");
      const record = newSession(user, "Firefox on Windows");
      state.sessions.set(randomUUID(), record);
      return send(ctx, 200, { id: record.id });
    }
    case "devices": {
      const user = state.users.get(ctx.query.email);
      const ids = [...state.sessions.values()].filter((record) => record.userId === user?.id).map((record) => record.id);
      return send(ctx, 200, ids);
    }
    case "logout-url":
      state.logoutUrl = ctx.query.to || undefined;
      return send(ctx, 204);
    case "delay":
      state.delayMs = Number(ctx.query.ms) || 0;
      return send(ctx, 204);
    case "expires":
      state.expiresInS = Number(ctx.query.in) || 7 * 24 * 3600;
      return send(ctx, 204);
    case "revoke":
      state.sessions.clear();
      return send(ctx, 204);
    case "csp-report":
      state.cspReports.push(await readBody(ctx));
      return send(ctx, 204);
    case "csp-reports":
      return send(ctx, 200, state.cspReports);
    case "passkeys":
      return send(ctx, 200, { passkeys: state.passkeys, bodies: state.passkeyBodies });
    default:
      return fail(ctx, 404, "not_found");
  }
}

/** Koa middleware for @web/test-runner's `middleware` option. */
export async function mockSessionServer(ctx, next) {
  const { path } = ctx;
  if (!path.startsWith("/__mock/")) state.requests.push({ method: ctx.method, path: ctx.url, referer: ctx.get("Referer") });
  let match;
  if (ctx.method === "GET" && /^(\/[\w-]+)*\/auth\/oidc\/\w+\/start$/.test(path)) {
    return ctx.redirect(`/test/browser/landing.html?${new URLSearchParams({ start: path, returnTo: ctx.query.returnTo ?? "" })}`);
  }
  if ((match = /^\/auth\/([a-z][\w/-]*)$/.exec(path))) return authRoute(ctx, match[1]);
  if (path.startsWith("/down/auth/")) return fail(ctx, 502, "auth_unavailable");
  if (path.startsWith("/api/")) return apiRoute(ctx, path);
  if ((match = /^\/__mock\/([a-z-]+)$/.exec(path))) return mockRoute(ctx, match[1]);
  await next();
  if (path.startsWith("/test/browser/csp")) {
    ctx.set("Content-Security-Policy", `${STRICT_CSP}; report-uri /__mock/csp-report`);
  }
}
