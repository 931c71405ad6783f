// An in-memory stand-in for the session server, mounted as middleware of the web-test-runner dev
// server so the browser tests of components/ run same-origin without the real server. Routes,
// statuses and bodies follow ../../../shared/design.md ("Session server HTTP API"); tests steer it
// with special inputs and /__mock/* endpoints:
//
//   e-mail limited@example.com        429 rate_limited, retryAfter 3 (login and signup)
//   e-mail down@example.com           502 auth_unavailable
//   e-mail slow@example.com           504 auth_timeout
//   e-mail taken@example.com          422 on signup: email already_used
//   signup password shorter than 8    422: password too_short (the server's own check)
//   user@example.com / correct-horse  an existing account; any other password is 401
//   /down/auth/*                      always 502 auth_unavailable (an endpoint whose server is down)
//   POST /__mock/reset                forget sessions, accounts, counters, delay, reports
//   GET  /__mock/count                {sessionGets}: how many GET /auth/session arrived
//   POST /__mock/delay?ms=N           delay every /auth POST by N ms (to see busy states)
//   POST /__mock/expires?in=S         session bodies say the session ends in S seconds (default 7 days)
//   POST /__mock/revoke               end every session behind the browser's back
//   POST /__mock/csp-report           CSP report-uri target; GET /__mock/csp-reports lists them
//   pages under /test/browser/csp*    served with the strict CSP of the design (and report-uri)
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
};

function freshState() {
  return {
    users: new Map([["user@example.com", { id: "u-1", email: "user@example.com", password: "correct-horse" }]]),
    sessions: new Map(),
    sessionGets: 0,
    delayMs: 0,
    expiresInS: 7 * 24 * 3600,
    cspReports: [],
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

function sessionOf(ctx) {
  const sid = ctx.cookies.get(COOKIE);
  const userId = sid && state.sessions.get(sid);
  if (!userId) return null;
  const user = [...state.users.values()].find((candidate) => candidate.id === userId);
  return user ? { sid, user } : null;
}

function authenticatedBody(user) {
  return {
    authenticated: true,
    user: { id: user.id, email: user.email },
    expiresAt: new Date(Date.now() + state.expiresInS * 1000).toISOString(),
  };
}

function startSession(ctx, user) {
  const old = ctx.cookies.get(COOKIE);
  if (old) state.sessions.delete(old);
  const sid = randomUUID();
  state.sessions.set(sid, user.id);
  ctx.cookies.set(COOKIE, sid, { httpOnly: true, sameSite: "strict", path: "/", overwrite: true });
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

async function authRoute(ctx, route) {
  if (route === "session" && ctx.method === "GET") {
    state.sessionGets++;
    const current = sessionOf(ctx);
    return send(ctx, 200, current ? authenticatedBody(current.user) : { authenticated: false });
  }
  if (ctx.method !== "POST" || !["login", "signup", "logout"].includes(route)) {
    return fail(ctx, 404, "not_found");
  }
  if (ctx.get("X-CSRF") !== "1") return fail(ctx, 403, "csrf_rejected");
  if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
  if (route === "logout") {
    const sid = ctx.cookies.get(COOKIE);
    if (sid) state.sessions.delete(sid);
    ctx.cookies.set(COOKIE, "", { httpOnly: true, path: "/", expires: new Date(0), overwrite: true });
    return send(ctx, 204);
  }
  if (!/^application\/json\b/.test(ctx.get("Content-Type"))) return fail(ctx, 415, "unsupported_media_type");
  let body;
  try {
    body = JSON.parse(await readBody(ctx));
  } catch {
    return fail(ctx, 400, "bad_request");
  }
  const { email, password } = body ?? {};
  if (typeof email !== "string" || typeof password !== "string") return fail(ctx, 400, "bad_request");
  if (scripted(ctx, email)) return;
  if (route === "login") {
    const user = state.users.get(email);
    if (!user || user.password !== password) return fail(ctx, 401, "invalid_credentials");
    startSession(ctx, user);
    return send(ctx, 200, authenticatedBody(user));
  }
  const violations = [];
  if (email === "taken@example.com" || state.users.has(email)) {
    violations.push({ field: "email", code: "already_used", message: "This value is already used." });
  }
  if ([...password].length < PASSWORD_MIN) {
    violations.push({
      field: "password",
      code: "too_short",
      message: `This value is too short. It should have ${PASSWORD_MIN} characters or more.`,
    });
  }
  if (violations.length) return fail(ctx, 422, "validation_failed", { violations });
  const user = { id: randomUUID(), email, password };
  state.users.set(email, user);
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
      return send(ctx, 200, { sessionGets: state.sessionGets });
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
    default:
      return fail(ctx, 404, "not_found");
  }
}

/** Koa middleware for @web/test-runner's `middleware` option. */
export async function mockSessionServer(ctx, next) {
  const { path } = ctx;
  let match;
  if ((match = /^\/auth\/([a-z]+)$/.exec(path))) return authRoute(ctx, match[1]);
  if (path.startsWith("/down/auth/")) return fail(ctx, 502, "auth_unavailable");
  if (path.startsWith("/api/")) return apiRoute(ctx, path);
  if ((match = /^\/__mock\/([a-z-]+)$/.exec(path))) return mockRoute(ctx, match[1]);
  await next();
  if (path.startsWith("/test/browser/csp")) {
    ctx.set("Content-Security-Policy", `${STRICT_CSP}; report-uri /__mock/csp-report`);
  }
}
