// Issue 6, bad-input corpus (security 27, with 14-17 and 2 along the way): over a hundred hostile
// requests against /auth/* and /api/*, each named, each sent byte for byte over a raw socket: deep and
// huge JSON, wrong types, duplicate keys, odd Unicode and invalid UTF-8, header injection, bad and
// forged cookies, methods not allowed, bad content types and origins, absolute-form targets, huge
// headers, broken HTTP framing. Every one must get a 4xx: either the shared `{error, message}` JSON
// shape, or (for bytes that are not HTTP at all) the bare connection-level 4xx of Node's HTTP parser.
// Never a 5xx, never a hang, never a Set-Cookie, never a stack trace; and afterwards the server still
// answers /healthz, a normal login, and the signed-in member the corpus tried to forge is untouched.
import { randomBytes } from "node:crypto";
import { sign } from "cookie-signature";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { apiGet, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { httpRequest, sendRaw, type RawAnswer } from "../../helpers/raw-http.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import { cookieIdOf, PASSWORD, startTestSessionServer, type CookieClient, type TestSessionServer } from "../../helpers/session-server.js";

const BODY_LIMIT = 32_768;
const GATEWAY_BODY_LIMIT = 65_536;
const ALLOWED_ORIGIN = "http://app.example";
/** Statuses Node's own HTTP layer answers, with no body, before any of our code runs. */
const PARSER_STATUSES = [400, 413, 417, 431];

let redis: RedisServer;
let legacy: LegacyAuthService;
let echo: EchoUpstream;
let server: TestSessionServer;
let member: CookieClient;
let memberEmail: string;

/** What the corpus entries build their requests from. */
interface Ctx {
  host: string;
  cookieName: string;
  /** The member's real cookie value (`s%3A<sid>.<signature>`). */
  cookie: string;
  sid: string;
}
let ctx: Ctx;

beforeAll(async () => {
  redis = await startRedisServer();
  legacy = await startLegacyAuthService();
  echo = await startEchoUpstream();
  server = await startTestSessionServer({
    redisUrl: redis.url,
    authService: legacy.url,
    env: {
      UPSTREAMS: `echo=${echo.origin}/base`,
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      GATEWAY_BODY_LIMIT_BYTES: String(GATEWAY_BODY_LIMIT),
      ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    },
  });
  member = server.client();
  memberEmail = (await signUp(member, "corpus")).email;
  const cookie = member.jar.get(server.config.cookieName)!;
  ctx = { host: new URL(server.url).host, cookieName: server.config.cookieName, cookie, sid: cookieIdOf(cookie) };
});

afterAll(async () => {
  await server?.close();
  await legacy?.close();
  await echo?.close();
  await redis?.stop();
});

// ---------------------------------------------------------------------------------------------
// Request builders.

type Headers = Array<[string, string]>;
const CSRF: Headers = [["X-CSRF", "1"]];
const JSON_TYPE: Headers = [["Content-Type", "application/json"]];

/** A JSON-ish POST with X-CSRF: 1 and Content-Type: application/json (the only wrong thing is the body). */
const post = (path: string, body: string | Buffer, headers: Headers = []): Buffer =>
  httpRequest("POST", path, { headers: [...CSRF, ...JSON_TYPE, ...headers], body });
const login = (body: string | Buffer, headers: Headers = []): Buffer => post("/auth/login", body, headers);
const signup = (body: string | Buffer, headers: Headers = []): Buffer => post("/auth/signup", body, headers);
const credentials = (email: string, password = "a password") => JSON.stringify({ email, password });
/** Raw JSON text for fields, so escapes like \ud800 reach the server as written. */
const rawCredentials = (emailJson: string, passwordJson = '"a password"') => `{"email":${emailJson},"password":${passwordJson}}`;
const withCookie = (value: string): Headers => [["Cookie", value]];
const revokeAll = (headers: Headers, body?: string): Buffer =>
  httpRequest("POST", "/auth/sessions/revoke-all", { headers: [...CSRF, ...headers], ...(body === undefined ? {} : { body }) });
const gatewayGet = (path: string, headers: Headers): Buffer => httpRequest("GET", path, { headers: [...CSRF, ...headers] });
const nested = (open: string, close: string, depth: number, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);

interface Entry {
  name: string;
  request: (c: Ctx) => Buffer;
  /** The exact status expected; every entry must in any case be a 4xx. */
  status?: number;
}

const CORPUS: Entry[] = [
  // Deep and huge JSON.
  {
    name: "deep JSON: email is 10,000 nested arrays (login)",
    status: 400,
    request: () => login(`{"email":${nested("[", "]", 10_000)},"password":"x"}`),
  },
  {
    name: "deep JSON: password is 5,000 nested objects (signup)",
    status: 400,
    request: () => signup(`{"email":"deep@example.org","password":${nested('{"a":', "}", 5_000)}}`),
  },
  { name: "deep JSON: 10,000 unclosed brackets (login)", status: 400, request: () => login(`{"email":${"[".repeat(10_000)}`) },
  {
    name: "deep JSON: the whole body is 10,000 nested arrays (revoke-all, anonymous)",
    status: 401,
    request: () => revokeAll(JSON_TYPE, nested("[", "]", 10_000)),
  },
  {
    name: "huge JSON: 40 kB login body, over BODY_LIMIT_BYTES",
    status: 413,
    request: () => login(credentials("big@example.org", "p".repeat(40_000))),
  },
  { name: "huge JSON: 40 kB signup body", status: 413, request: () => signup(credentials("big@example.org", "p".repeat(40_000))) },
  { name: "huge JSON: 40 kB logout body", status: 413, request: () => post("/auth/logout", `{"pad":"${"p".repeat(40_000)}"}`) },
  {
    name: "huge JSON: 40 kB revoke-all body",
    status: 413,
    request: () => post("/auth/sessions/revoke-all", `{"pad":"${"p".repeat(40_000)}"}`),
  },
  {
    name: "huge JSON: a Content-Length of 10 GB announced, no body sent (login)",
    status: 413,
    request: () => httpRequest("POST", "/auth/login", { headers: [...CSRF, ...JSON_TYPE, ["Content-Length", "10000000000"]] }),
  },
  {
    name: "huge JSON: a chunked 40 kB login body without Content-Length",
    status: 413,
    request: () => {
      const body = credentials("big@example.org", "p".repeat(40_000));
      const chunked = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      return httpRequest("POST", "/auth/login", {
        headers: [...CSRF, ...JSON_TYPE, ["Transfer-Encoding", "chunked"]],
        body: chunked,
        contentLength: false,
      });
    },
  },
  {
    name: "huge body: 70 kB POST through the gateway, over GATEWAY_BODY_LIMIT_BYTES (signed in)",
    status: 413,
    request: (c) =>
      httpRequest("POST", "/api/echo/upload", {
        headers: [...CSRF, ...JSON_TYPE, ["Cookie", `${c.cookieName}=${c.cookie}`]],
        body: "x".repeat(70_000),
      }),
  },

  // Wrong types.
  { name: "wrong type: email is a number (login)", status: 400, request: () => login(rawCredentials("42")) },
  { name: "wrong type: email is an array (login)", status: 400, request: () => login(rawCredentials('["a@example.org"]')) },
  { name: "wrong type: email is null (login)", status: 400, request: () => login(rawCredentials("null")) },
  { name: "wrong type: email is an object (login)", status: 400, request: () => login(rawCredentials('{"$gt":""}')) },
  { name: "wrong type: email is 1e999 (login)", status: 400, request: () => login(rawCredentials("1e999")) },
  { name: "wrong type: password is a number (login)", status: 400, request: () => login(rawCredentials('"a@example.org"', "123456789")) },
  { name: "wrong type: password is an array (login)", status: 400, request: () => login(rawCredentials('"a@example.org"', '["x"]')) },
  { name: "wrong type: password is null (login)", status: 400, request: () => login(rawCredentials('"a@example.org"', "null")) },
  { name: "wrong type: password is an object (login)", status: 400, request: () => login(rawCredentials('"a@example.org"', '{"$ne":""}')) },
  { name: "wrong type: password is a boolean (login)", status: 400, request: () => login(rawCredentials('"a@example.org"', "true")) },
  { name: "wrong type: email is a number (signup)", status: 400, request: () => signup(rawCredentials("7")) },
  { name: "wrong type: password is an object (signup)", status: 400, request: () => signup(rawCredentials('"a@example.org"', "{}")) },
  { name: "wrong type: the body is an array (login)", status: 400, request: () => login(`[${credentials("a@example.org")}]`) },
  { name: "wrong type: the body is a string (signup)", status: 400, request: () => signup('"a@example.org"') },
  { name: "wrong type: the body is a number (login)", status: 400, request: () => login("12345") },
  { name: "wrong type: the body is null (signup)", status: 400, request: () => signup("null") },

  // Duplicate keys.
  {
    name: "duplicate keys: email twice (login)",
    status: 400,
    request: () => login('{"email":"a@example.org","email":"b@example.org","password":"x"}'),
  },
  {
    name: "duplicate keys: password twice (login)",
    status: 400,
    request: () => login('{"email":"a@example.org","password":"x","password":"y"}'),
  },
  {
    name: "duplicate keys: the second spelled with an escape (signup)",
    status: 400,
    request: () => signup('{"email":"a@example.org","\\u0065mail":"b@example.org","password":"x"}'),
  },
  {
    name: "duplicate keys: inside a nested object (signup)",
    status: 400,
    request: () => signup('{"email":"a@example.org","password":"xxxxxxxxxx","x":{"k":1,"k":2}}'),
  },

  // Odd Unicode and invalid UTF-8.
  {
    name: "odd Unicode: a lone high surrogate in the email (login)",
    status: 401,
    request: () => login(rawCredentials('"\\ud800nobody@example.org"')),
  },
  {
    name: "odd Unicode: a lone low surrogate as the whole email (signup)",
    status: 422,
    request: () => signup(rawCredentials('"\\udc00"', '"long enough password"')),
  },
  { name: "odd Unicode: NUL inside the email (login)", status: 401, request: () => login(rawCredentials('"no\\u0000body@example.org"')) },
  {
    name: "odd Unicode: a right-to-left override in the email (login)",
    status: 401,
    request: () => login(rawCredentials('"\\u202egro.elpmaxe@ydobon"')),
  },
  {
    name: "odd Unicode: an email of zero-width characters only (signup)",
    status: 422,
    request: () => signup(rawCredentials('"\\u200b\\u200c\\u200d\\ufeff"', '"long enough password"')),
  },
  {
    name: "odd Unicode: emoji in the email and password (login)",
    status: 401,
    request: () => login(credentials("🔑🔥@example.org", "🙈🙉🙊 \u{1F3F3}\u{FE0F}\u{200D}\u{1F308}")),
  },
  {
    name: "invalid UTF-8: raw 0xFF 0xFE bytes inside the email (login)",
    status: 401,
    request: () =>
      login(Buffer.concat([Buffer.from('{"email":"no'), Buffer.from([0xff, 0xfe]), Buffer.from('body@example.org","password":"x"}')])),
  },
  {
    name: "invalid UTF-8: overlong encodings of '/' and NUL in the password (login)",
    status: 401,
    request: () =>
      login(
        Buffer.concat([
          Buffer.from('{"email":"nobody@example.org","password":"'),
          Buffer.from([0xc0, 0xaf, 0xe0, 0x80, 0xaf, 0xc0, 0x80]),
          Buffer.from('"}'),
        ]),
      ),
  },
  {
    name: "invalid UTF-8: an encoded surrogate (ED A0 80) in the email (login)",
    status: 401,
    request: () =>
      login(Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('@example.org","password":"x"}')])),
  },
  {
    name: "invalid UTF-8: a truncated sequence at the end of the body (login)",
    status: 400,
    request: () => login(Buffer.concat([Buffer.from('{"email":"a@example.org","password":"x"}'), Buffer.from([0xe2, 0x82])])),
  },
  {
    name: "odd Unicode: a raw NUL byte inside a JSON string (login)",
    status: 400,
    request: () => login(Buffer.concat([Buffer.from('{"email":"a'), Buffer.from([0]), Buffer.from('b@example.org","password":"x"}')])),
  },
  {
    name: "invalid UTF-8: percent escapes %FF%FE in a gateway path (anonymous)",
    status: 400,
    request: () => gatewayGet("/api/echo/%ff%fe", []),
  },
  {
    name: "invalid UTF-8: a raw non-ASCII byte in the Origin header (login)",
    status: 403,
    request: () => login(credentials("a@example.org"), [["Origin", "http://\u00e9vil.example"]]),
  },

  // Header injection attempts (raw socket; most never reach our code).
  {
    name: "header injection: bare CR in the X-CSRF value (login)",
    request: () =>
      Buffer.from(
        `POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\rSet-Cookie: injected=1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        "latin1",
      ),
  },
  {
    name: "header injection: bare LF in a header value (gateway)",
    request: () => Buffer.from(`GET /api/echo/x HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\nX-Injected: 1\r\n\r\n`, "latin1"),
  },
  {
    name: "header injection: NUL in the Cookie value",
    request: (c) => Buffer.from(`GET /api/echo/x HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\nCookie: ${c.cookieName}=a\u0000b\r\n\r\n`, "latin1"),
  },
  {
    name: "header injection: CR LF in the request target (gateway)",
    request: () => Buffer.from("GET /api/echo/x\r\nSet-Cookie: injected=1 HTTP/1.1\r\nHost: h\r\n\r\n", "latin1"),
  },
  {
    name: "header injection: obsolete line folding continues a header",
    request: () => Buffer.from("POST /auth/logout HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\n Set-Cookie: injected=1\r\n\r\n", "latin1"),
  },
  {
    name: "header injection: a space before the colon of a header name",
    request: () => Buffer.from("POST /auth/logout HTTP/1.1\r\nHost: h\r\nX-CSRF : 1\r\n\r\n", "latin1"),
  },
  {
    name: "header injection: a header line without a colon",
    request: () => Buffer.from("POST /auth/logout HTTP/1.1\r\nHost: h\r\nX-CSRF 1\r\n\r\n", "latin1"),
  },
  {
    name: "header injection: percent-encoded CR LF in a gateway path (anonymous)",
    request: () => gatewayGet("/api/echo/x%0d%0aSet-Cookie:%20injected=1", []),
  },
  {
    name: "framing: Content-Length together with Transfer-Encoding (smuggling)",
    request: () =>
      Buffer.from(
        "POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "latin1",
      ),
  },
  {
    name: "framing: two different Content-Length headers",
    request: () =>
      Buffer.from(
        "POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}",
        "latin1",
      ),
  },
  {
    name: "framing: a negative Content-Length",
    request: () =>
      Buffer.from(
        "POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}",
        "latin1",
      ),
  },
  {
    name: "framing: an invalid chunk size",
    request: () =>
      Buffer.from(
        "POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "latin1",
      ),
  },
  { name: "framing: an HTTP/1.1 request without Host", request: () => httpRequest("GET", "/auth/session", { host: null }) },
  {
    name: "framing: an unknown Expect header",
    status: 417,
    request: () => httpRequest("POST", "/auth/logout", { headers: [...CSRF, ["Expect", "teapot"]] }),
  },

  // Bad or forged cookies, where a session is required.
  {
    name: "cookie: garbage value (revoke-all)",
    status: 401,
    request: (c) => revokeAll(withCookie(`${c.cookieName}=${randomBytes(24).toString("base64url")}`)),
  },
  {
    name: "cookie: the member's id with a tampered signature (revoke-all)",
    status: 401,
    request: (c) => revokeAll(withCookie(`${c.cookieName}=${tamper(c.cookie)}`)),
  },
  { name: "cookie: s: alone (revoke-all)", status: 401, request: (c) => revokeAll(withCookie(`${c.cookieName}=s:`)) },
  {
    name: "cookie: s: with an empty signature (revoke-all)",
    status: 401,
    request: (c) => revokeAll(withCookie(`${c.cookieName}=s:${c.sid}.`)),
  },
  { name: "cookie: the member's id unsigned (revoke-all)", status: 401, request: (c) => revokeAll(withCookie(`${c.cookieName}=${c.sid}`)) },
  {
    name: "cookie: the member's id signed with another secret (revoke-all)",
    status: 401,
    request: (c) =>
      revokeAll(withCookie(`${c.cookieName}=${encodeURIComponent(`s:${sign(c.sid, "not the server's secret, 32 bytes long")}`)}`)),
  },
  {
    name: "cookie: 50 cookies with the session cookie's name (revoke-all)",
    status: 401,
    request: (c) => revokeAll(withCookie(Array.from({ length: 50 }, (_, i) => `${c.cookieName}=s%3Agarbage${i}.sig`).join("; "))),
  },
  {
    name: "cookie: broken percent-encoding (revoke-all)",
    status: 401,
    request: (c) => revokeAll(withCookie(`${c.cookieName}=s%3A%E0%A4%A.%ZZ`)),
  },
  { name: "cookie: a 20 kB cookie", request: (c) => gatewayGet("/api/echo/x", withCookie(`${c.cookieName}=${"a".repeat(20_000)}`)) },
  {
    name: "cookie: garbage value (gateway)",
    status: 401,
    request: (c) => gatewayGet("/api/echo/x", withCookie(`${c.cookieName}=s%3A${"%00".repeat(10)}`)),
  },
  {
    name: "cookie: the member's id with a tampered signature (gateway)",
    status: 401,
    request: (c) => gatewayGet("/api/echo/x", withCookie(`${c.cookieName}=${tamper(c.cookie)}`)),
  },
  {
    name: "cookie: the session id in a header instead of the cookie (gateway)",
    status: 401,
    request: (c) =>
      gatewayGet("/api/echo/x", [
        ["X-Session-Id", c.sid],
        ["Authorization", `Bearer ${c.sid}`],
      ]),
  },

  // Methods not allowed.
  ...(
    [
      ["PUT", "/auth/login"],
      ["DELETE", "/auth/login"],
      ["PATCH", "/auth/login"],
      ["GET", "/auth/login"],
      ["GET", "/auth/logout"],
      ["PUT", "/auth/session"],
      ["DELETE", "/auth/session"],
      ["POST", "/auth/session"],
      ["GET", "/auth/sessions/revoke-all"],
      ["TRACE", "/auth/signup"],
      ["PATCH", "/auth/signup"],
    ] as const
  ).map(([method, path]): Entry => ({
    name: `method not allowed: ${method} ${path}`,
    status: 405,
    request: () => httpRequest(method, path, { headers: [...CSRF, ...JSON_TYPE], body: credentials("a@example.org") }),
  })),

  // Bad content types.
  {
    name: "content type: text/plain (login)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/login", { headers: [...CSRF, ["Content-Type", "text/plain"]], body: credentials("a@example.org") }),
  },
  {
    name: "content type: a form post (signup)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/signup", {
        headers: [...CSRF, ["Content-Type", "application/x-www-form-urlencoded"]],
        body: "email=a%40example.org&password=x",
      }),
  },
  {
    name: "content type: multipart (login)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/login", {
        headers: [...CSRF, ["Content-Type", "multipart/form-data; boundary=X"]],
        body: '--X\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--X--\r\n',
      }),
  },
  {
    name: "content type: JSON in UTF-16 is refused: the session server takes JSON in UTF-8 only (login)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/login", {
        headers: [...CSRF, ["Content-Type", "application/json; charset=utf-16"]],
        body: Buffer.from(credentials("a@example.org"), "utf16le"),
      }),
  },
  {
    name: "content type: JSON with an unknown charset (login)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/login", {
        headers: [...CSRF, ["Content-Type", "application/json; charset=klingon"]],
        body: credentials("a@example.org"),
      }),
  },
  {
    name: "content type: none, with a body (logout)",
    status: 415,
    request: () => httpRequest("POST", "/auth/logout", { headers: CSRF, body: "{}" }),
  },
  {
    name: "content type: text/json (signup)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/signup", { headers: [...CSRF, ["Content-Type", "text/json"]], body: credentials("a@example.org") }),
  },
  {
    name: "content type: application/jsonx (login)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/login", { headers: [...CSRF, ["Content-Type", "application/jsonx"]], body: credentials("a@example.org") }),
  },
  {
    name: "content encoding: gzip that is not gzip (login)",
    request: () => login(credentials("a@example.org"), [["Content-Encoding", "gzip"]]),
  },
  {
    name: "content encoding: an unknown coding (login)",
    status: 415,
    request: () => login(credentials("a@example.org"), [["Content-Encoding", "x-klingon"]]),
  },

  // Bad Origin values and CSRF headers.
  {
    name: "origin: a foreign site (login)",
    status: 403,
    request: () => login(credentials("a@example.org"), [["Origin", "http://evil.example"]]),
  },
  { name: "origin: null (signup)", status: 403, request: () => signup(credentials("a@example.org"), [["Origin", "null"]]) },
  {
    name: "origin: the allowed host as a prefix of another (logout)",
    status: 403,
    request: () => httpRequest("POST", "/auth/logout", { headers: [...CSRF, ["Origin", `${ALLOWED_ORIGIN}.evil.example`]] }),
  },
  {
    name: "origin: the allowed host on another port (login)",
    status: 403,
    request: () => login(credentials("a@example.org"), [["Origin", `${ALLOWED_ORIGIN}:8443`]]),
  },
  {
    name: "origin: the allowed origin over https (login)",
    status: 403,
    request: () => login(credentials("a@example.org"), [["Origin", ALLOWED_ORIGIN.replace("http:", "https:")]]),
  },
  {
    name: "origin: the allowed origin with a trailing slash (login)",
    status: 403,
    request: () => login(credentials("a@example.org"), [["Origin", `${ALLOWED_ORIGIN}/`]]),
  },
  {
    name: "origin: two Origin headers, allowed then foreign (login)",
    status: 403,
    request: () =>
      login(credentials("a@example.org"), [
        ["Origin", ALLOWED_ORIGIN],
        ["Origin", "http://evil.example"],
      ]),
  },
  { name: "origin: an empty Origin header (login)", status: 403, request: () => login(credentials("a@example.org"), [["Origin", ""]]) },
  { name: "origin: * (login)", status: 403, request: () => login(credentials("a@example.org"), [["Origin", "*"]]) },
  {
    name: "origin: Sec-Fetch-Site cross-site without Origin (logout)",
    status: 403,
    request: () => httpRequest("POST", "/auth/logout", { headers: [...CSRF, ["Sec-Fetch-Site", "cross-site"]] }),
  },
  { name: "origin: a foreign site (gateway)", status: 403, request: () => gatewayGet("/api/echo/x", [["Origin", "http://evil.example"]]) },
  { name: "csrf: no X-CSRF on a gateway GET", status: 403, request: () => httpRequest("GET", "/api/echo/x") },
  {
    name: "csrf: X-CSRF: 0 (login)",
    status: 403,
    request: () => httpRequest("POST", "/auth/login", { headers: [["X-CSRF", "0"], ...JSON_TYPE], body: credentials("a@example.org") }),
  },
  {
    name: "csrf: X-CSRF sent twice (login)",
    status: 403,
    request: () =>
      httpRequest("POST", "/auth/login", { headers: [["X-CSRF", "1"], ["X-CSRF", "1"], ...JSON_TYPE], body: credentials("a@example.org") }),
  },
  {
    name: "csrf: X-CSRF: true (revoke-all)",
    status: 403,
    request: () => httpRequest("POST", "/auth/sessions/revoke-all", { headers: [["X-CSRF", "true"]] }),
  },

  // Odd request targets.
  {
    name: "target: absolute-form to another host (gateway path)",
    request: (c) => httpRequest("GET", "http://evil.example/api/echo/x", { host: c.host, headers: CSRF }),
  },
  {
    name: "target: absolute-form POST to another host, no X-CSRF (login)",
    status: 403,
    request: (c) =>
      httpRequest("POST", "http://evil.example/auth/login", { host: c.host, headers: JSON_TYPE, body: credentials("a@example.org") }),
  },
  {
    name: "target: absolute-form to an unknown path",
    request: (c) => httpRequest("GET", "http://127.0.0.1:1/auth/nowhere", { host: c.host }),
  },
  {
    name: "target: a network-path reference //evil.example/auth/session",
    status: 404,
    request: () => httpRequest("GET", "//evil.example/auth/session"),
  },
  { name: "target: asterisk-form on GET", request: () => httpRequest("GET", "*") },
  { name: "target: ../ out of the gateway into /auth", status: 400, request: () => gatewayGet("/api/echo/../../auth/session", []) },
  { name: "target: %2e%2e out of an upstream's base", status: 400, request: () => gatewayGet("/api/echo/%2e%2e/x", []) },
  { name: "target: an unknown gateway service", status: 404, request: () => gatewayGet("/api/nothing/x", []) },
  // The outside attack run's findings (hardening round two).
  {
    name: "target: a servlet path parameter ..;/ out of the base (gateway, signed in)",
    status: 400,
    request: (c) => gatewayGet("/api/echo/..;/secret", withCookie(`${c.cookieName}=${c.cookie}`)),
  },
  {
    name: "target: ..;jsessionid=x twice (gateway, signed in)",
    status: 400,
    request: (c) => gatewayGet("/api/echo/a/..;jsessionid=x/..;jsessionid=x/secret", withCookie(`${c.cookieName}=${c.cookie}`)),
  },
  {
    name: "target: overlong UTF-8 dots %c0%ae%c0%ae (gateway, signed in)",
    status: 400,
    request: (c) => gatewayGet("/api/echo/%c0%ae%c0%ae/secret", withCookie(`${c.cookieName}=${c.cookie}`)),
  },
  {
    name: "target: a three-byte overlong dot %e0%80%ae (gateway, signed in)",
    status: 400,
    request: (c) => gatewayGet("/api/echo/%e0%80%ae", withCookie(`${c.cookieName}=${c.cookie}`)),
  },
  {
    name: "target: overlong slash %c0%af and backslash %c1%9c (gateway, signed in)",
    status: 400,
    request: (c) => gatewayGet("/api/echo/a%c0%afb%c1%9cc", withCookie(`${c.cookieName}=${c.cookie}`)),
  },
  {
    name: "target: IIS %u002e%u002e escapes (gateway, signed in)",
    status: 400,
    request: (c) => gatewayGet("/api/echo/%u002e%u002e/secret", withCookie(`${c.cookieName}=${c.cookie}`)),
  },
  {
    name: "expect: 100-continue on a gateway upload without a session",
    status: 401,
    request: () => httpRequest("POST", "/api/echo/upload", { headers: [...CSRF, ...JSON_TYPE, ["Expect", "100-continue"]], body: "{}" }),
  },
  {
    name: "expect: a value other than 100-continue on the gateway (signed in)",
    status: 417,
    request: (c) =>
      httpRequest("POST", "/api/echo/upload", {
        headers: [...CSRF, ...JSON_TYPE, ...withCookie(`${c.cookieName}=${c.cookie}`), ["Expect", "200-ok"]],
        body: "{}",
      }),
  },
  {
    name: "content type: JSON in UTF-7 hiding a second email from the duplicate-key check (login)",
    status: 415,
    request: () =>
      httpRequest("POST", "/auth/login", {
        headers: [...CSRF, ["Content-Type", "application/json;charset=utf-7"]],
        body: '{"email":"x@y.z",+ACI-email+ACI-:+ACI-victim@example.org+ACI-,"password":"x"}',
      }),
  },
  { name: "target: /api/ with no service", status: 404, request: () => gatewayGet("/api/", []) },

  // Huge headers.
  {
    name: "huge headers: a 20 kB header value",
    request: () => httpRequest("GET", "/auth/session", { headers: [["X-Big", "b".repeat(20_000)]] }),
  },
  { name: "huge headers: a 20 kB request target", request: () => httpRequest("GET", `/auth/session?${"q".repeat(20_000)}`) },
  {
    name: "huge headers: 500 small headers on a gateway call without X-CSRF",
    status: 403,
    request: () =>
      httpRequest("GET", "/api/echo/x", { headers: Array.from({ length: 500 }, (_, i): [string, string] => [`X-H-${i}`, "v"]) }),
  },
];

function tamper(cookie: string): string {
  const last = cookie.at(-2) === "A" ? "B" : "A";
  return `${cookie.slice(0, -2)}${last}${cookie.at(-1)}`;
}

/** The shared error shape, or a bare connection-level 4xx from Node's parser. Never a 5xx. */
function expectFourXx(entry: Entry, answer: RawAnswer): void {
  const where = `${entry.name}: ${answer.raw.slice(0, 400)}`;
  expect(answer.status, where).toBeGreaterThanOrEqual(400);
  expect(answer.status, where).toBeLessThan(500);
  if (entry.status !== undefined) expect(answer.status, where).toBe(entry.status);
  expect(answer.header("set-cookie"), where).toBeUndefined();
  expect(answer.raw.toLowerCase(), where).not.toContain("injected");
  expect(answer.raw, where).not.toMatch(/\bat \S+ \(|node:internal|\.ts:\d+/);
  if (answer.body === "") {
    // Not HTTP our code ever saw: Node answered (and closed) before any handler ran.
    expect(PARSER_STATUSES, where).toContain(answer.status);
    expect(answer.header("connection"), where).toBe("close");
  } else {
    expect(answer.header("content-type"), where).toMatch(/^application\/json/);
    expect(answer.json, where).toEqual(expect.objectContaining({ error: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) }));
    expect(answer.header("cache-control"), where).toBe("no-store");
  }
}

describe("bad-input corpus (security 27): every request a 4xx, never a 5xx", () => {
  it("the corpus has at least 50 named requests, names unique", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CORPUS.map((entry) => entry.name)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS)("$name", async (entry) => {
    const answer = await sendRaw(server.url, entry.request(ctx), 10_000);
    expectFourXx(entry, answer);
  });

  it("bad or forged cookies on GET /auth/session read as anonymous: 200, no Set-Cookie, nothing stored", async () => {
    const keysBefore = await server.storeSize();
    const values = [
      "garbage",
      "s:",
      `s:${ctx.sid}`,
      ctx.sid,
      tamper(ctx.cookie),
      encodeURIComponent(`s:${sign(ctx.sid, "another secret entirely, also 32+ bytes")}`),
      "s%3A%E0%A4%A",
    ];
    for (const value of values) {
      const answer = await sendRaw(
        server.url,
        httpRequest("GET", "/auth/session", { headers: [["Cookie", `${ctx.cookieName}=${value}`]] }),
      );
      expect({ value, status: answer.status, body: answer.json }).toEqual({ value, status: 200, body: { authenticated: false } });
      expect(answer.header("set-cookie")).toBeUndefined();
    }
    expect(await server.storeSize()).toBe(keysBefore);
  });

  it("after the corpus: /healthz answers, a normal login works, the member's session is untouched, nothing was logged as a 5xx", async () => {
    expect((await server.client().get("/healthz")).status).toBe(200);
    const fresh = server.client();
    expect((await fresh.post("/auth/login", { email: memberEmail, password: PASSWORD })).status).toBe(200);
    expect((await fresh.get("/auth/session")).body.authenticated).toBe(true);
    expect((await member.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { email: memberEmail } });
    expect((await apiGet(member, "/api/echo/after-corpus")).status).toBe(200);
    expect(server.logs()).not.toContain('"request_failed"');
    expect(server.logs()).not.toMatch(/"level":(50|60)/);
  });
});
