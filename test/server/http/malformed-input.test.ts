// Malformed input of every kind (security 17 and 27): non-JSON bodies 415, oversized 413, bad JSON, duplicate
// keys and wrong types 400, odd Unicode and header-injection attempts: always a 4xx, never a 5xx or a crash,
// and the server keeps answering afterwards.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { readUntilClose } from "../../helpers/raw-http.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import { PASSWORD, startTestSessionServer, uniqueEmail, type TestResponse, type TestSessionServer } from "../../helpers/session-server.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

function expectError(response: TestResponse, status: number, code: string): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: expect.objectContaining({ error: code, message: expect.any(String) }),
  });
  expect(response.header("content-type")).toMatch(/^application\/json/);
  expect(response.header("cache-control")).toBe("no-store");
}

/** Any 4xx in the shared error shape. */
function expectClientError(response: TestResponse): void {
  expect(response.status, response.text).toBeGreaterThanOrEqual(400);
  expect(response.status, response.text).toBeLessThan(500);
  expect(response.body).toEqual(expect.objectContaining({ error: expect.any(String), message: expect.any(String) }));
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1] ?? NaN);
}

const LOGIN_BODY = JSON.stringify({ email: "someone@example.org", password: "x" });

/** Header-level attacks that Node's HTTP parser rejects before any application code runs. */
const HEADER_ATTACKS: Array<[string, string]> = [
  [
    "CR inside a header value",
    `POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\rSet-Cookie: injected=1\r\nContent-Type: application/json\r\nContent-Length: ${LOGIN_BODY.length}\r\n\r\n${LOGIN_BODY}`,
  ],
  [
    "bare LF inside a header value",
    `POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\nSet-Cookie: injected=1\r\nContent-Type: application/json\r\nContent-Length: ${LOGIN_BODY.length}\r\n\r\n${LOGIN_BODY}`,
  ],
  ["NUL inside a header value", `GET /auth/session HTTP/1.1\r\nHost: h\r\nCookie: auth.sid=a\u0000b\r\n\r\n`],
  ["obsolete line folding", `GET /auth/session HTTP/1.1\r\nHost: h\r\nCookie: auth.sid=a\r\n b\r\n\r\n`],
  [
    "Transfer-Encoding with Content-Length (smuggling)",
    `POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
  ],
  ["a space in a header name", `GET /auth/session HTTP/1.1\r\nHost: h\r\nX CSRF: 1\r\n\r\n`],
  ["a raw non-ASCII byte in the request target", `GET /auth/\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n`],
  ["a request line with extra parts", `GET /auth/session HTTP/1.1 extra\r\nHost: h\r\n\r\n`],
  ["a 20 kB header", `GET /auth/session HTTP/1.1\r\nHost: h\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`],
];

describe.each(STORE_MODES)("malformed input (%s store)", (store) => {
  let server: TestSessionServer;
  beforeAll(async () => {
    server = await startTestSessionServer({ redisUrl: store === "redis" ? redis.url : undefined });
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    // Whatever a test sent, the server is still there and still right.
    expect((await server.client().get("/healthz")).status).toBe(200);
    expect((await server.client().get("/auth/session")).body).toEqual({ authenticated: false });
  });

  describe("security 17: an unsafe method with a non-JSON body gets 415", () => {
    it.each([
      ["text/plain", LOGIN_BODY],
      ["text/plain;charset=UTF-8", LOGIN_BODY],
      ["application/x-www-form-urlencoded", "email=someone%40example.org&password=x"],
      ["multipart/form-data; boundary=X", '--X\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.org\r\n--X--\r\n'],
      ["application/xml", "<login/>"],
      ["application/json-patch", LOGIN_BODY],
      ["application/json; charset=latin9", LOGIN_BODY],
    ])("%s body on login, signup and logout: 415 unsupported_media_type", async (type, raw) => {
      for (const path of ["/auth/login", "/auth/signup", "/auth/logout"]) {
        expectError(await server.client().post(path, undefined, { raw, headers: { "content-type": type } }), 415, "unsupported_media_type");
      }
    });

    it("JSON in UTF-7: 415, so a body that hides a second e-mail from the duplicate-key check (+ACI-email+ACI-) cannot sign in", async () => {
      const email = uniqueEmail("utf7");
      expect((await server.client().post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
      // In UTF-7, +ACI- is a quote: this is {"email":"x@y.z","email":"<the account>","password":…}.
      const raw = `{"email":"x@y.z",+ACI-email+ACI-:+ACI-${email}+ACI-,"password":"${PASSWORD}"}`;
      for (const type of ["application/json;charset=utf-7", "application/json; charset=UTF-7", 'application/json; charset="utf-7"']) {
        const response = await server.client().post("/auth/login", undefined, { raw, headers: { "content-type": type } });
        expectError(response, 415, "unsupported_media_type");
        expect(response.setCookie).toEqual([]);
      }
    });

    it.each(["utf-16", "utf-16le", "iso-8859-1", "utf8", "us-ascii"])("JSON declared as charset=%s: 415", async (charset) => {
      const response = await server
        .client()
        .post("/auth/login", undefined, { raw: LOGIN_BODY, headers: { "content-type": `application/json; charset=${charset}` } });
      expectError(response, 415, "unsupported_media_type");
    });

    it.each([
      "application/json",
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      "application/ld+json; charset=Utf-8",
    ])("%s is JSON in UTF-8: accepted", async (type) => {
      const response = await server.client().post("/auth/login", undefined, { raw: LOGIN_BODY, headers: { "content-type": type } });
      expect(response.status).toBe(401);
    });

    it("a body without any Content-Type: 415", async () => {
      expectError(await server.client().post("/auth/login", undefined, { raw: LOGIN_BODY }), 415, "unsupported_media_type");
    });

    it("no body needs no type: logout 204; login or signup with no body is 400, not 415", async () => {
      expect((await server.client().post("/auth/logout")).status).toBe(204);
      expectError(await server.client().post("/auth/login"), 400, "bad_request");
      expectError(await server.client().post("/auth/signup"), 400, "bad_request");
    });

    it("application/ld+json and a charset parameter are JSON", async () => {
      const email = uniqueEmail();
      const body = JSON.stringify({ email, password: PASSWORD });
      expect(
        (await server.client().post("/auth/signup", undefined, { raw: body, headers: { "content-type": "application/ld+json" } })).status,
      ).toBe(201);
      expect(
        (
          await server
            .client()
            .post("/auth/login", undefined, { raw: body, headers: { "content-type": "application/json; charset=utf-8" } })
        ).status,
      ).toBe(200);
    });
  });

  describe("security 27: body size", () => {
    it("a body over the limit: 413 payload_too_large", async () => {
      const big = JSON.stringify({ email: uniqueEmail(), password: "x".repeat(20_000) });
      expectError(
        await server.client().post("/auth/login", undefined, { raw: big, headers: { "content-type": "application/json" } }),
        413,
        "payload_too_large",
      );
      expectError(
        await server.client().post("/auth/signup", undefined, { raw: big, headers: { "content-type": "application/json" } }),
        413,
        "payload_too_large",
      );
    });

    it("a 4 MB body: 413, or the connection is cut, but never a 5xx", async () => {
      const huge = `{"email":"${"a".repeat(4 * 1024 * 1024)}","password":"x"}`;
      const response = await server
        .client()
        .post("/auth/login", undefined, { raw: huge, headers: { "content-type": "application/json" } })
        .catch(() => undefined);
      if (response) expectError(response, 413, "payload_too_large");
    });
  });

  describe("security 27: malformed JSON, duplicate keys, non-objects and wrong types get 400 bad_request", () => {
    it.each([
      ["truncated", '{"email":'],
      ["unquoted keys", "{email: 1}"],
      ["trailing garbage", `${LOGIN_BODY}garbage`],
      ["single quotes", "{'email':'a@b.org'}"],
      ["a trailing comma", '{"email":"a@b.org","password":"x",}'],
      ["a bare string (strict JSON bodies only)", '"a@b.org"'],
      ["a number", "42"],
      ["null", "null"],
      ["true", "true"],
      ["an array", `[${LOGIN_BODY}]`],
      ["an empty array", "[]"],
      ["duplicate keys", '{"email":"a@b.org","email":"c@d.org","password":"x"}'],
      ["duplicate keys through escapes", '{"email":"a@b.org","\\u0065mail":"c@d.org","password":"x"}'],
      ["duplicate nested keys", '{"email":"a@b.org","password":"x","extra":{"k":1,"k":2}}'],
      ["a number for email", '{"email":1,"password":"x"}'],
      ["an object for password", '{"email":"a@b.org","password":{"$ne":""}}'],
      ["an array for email", '{"email":["a@b.org"],"password":"x"}'],
      ["a boolean for password", '{"email":"a@b.org","password":true}'],
      ["deep nesting", `{"email":${"[".repeat(5000)}${"]".repeat(5000)},"password":"x"}`],
      ["invalid escape", '{"email":"\\x41","password":"x"}'],
    ])("%s: 400 on login and signup", async (_name, raw) => {
      for (const path of ["/auth/login", "/auth/signup"]) {
        expectError(
          await server.client().post(path, undefined, { raw, headers: { "content-type": "application/json" } }),
          400,
          "bad_request",
        );
      }
    });
  });

  describe("security 27: odd Unicode gets a 4xx, never a 5xx", () => {
    const oddEmails = [
      ["a lone high surrogate", '"\\ud800@example.org"'],
      ["a lone low surrogate", '"a\\udfff@example.org"'],
      ["NUL", '"a\\u0000b@example.org"'],
      ["a right-to-left override", '"\\u202egro.elpmaxe@ecila"'],
      ["a zero-width joiner and BOM", '"ali\\u200dce\\ufeff@example.org"'],
      ["CR LF (header injection through a field)", '"a@example.org\\r\\nBcc: victim@example.org"'],
      ["500 characters", `"${"a".repeat(488)}@example.org"`],
    ] as const;

    it.each(oddEmails)("email with %s: a 4xx in the error shape on signup and login", async (_name, email) => {
      const raw = `{"email":${email},"password":"${PASSWORD}"}`;
      const signup = await server.client().post("/auth/signup", undefined, { raw, headers: { "content-type": "application/json" } });
      expectClientError(signup);
      expect(signup.status).toBe(422);
      expect(signup.body.violations[0].field).toBe("email");
      const login = await server.client().post("/auth/login", undefined, { raw, headers: { "content-type": "application/json" } });
      expectError(login, 401, "invalid_credentials");
      for (const response of [signup, login]) {
        expect(Object.keys(response.headers)).not.toContain("bcc");
        expect(response.setCookie).toEqual([]);
      }
    });

    it("invalid UTF-8 bytes in the body: a 4xx", async () => {
      const raw = Buffer.concat([
        Buffer.from('{"email":"a'),
        Buffer.from([0xff, 0xfe, 0xc0, 0x80]),
        Buffer.from(`@example.org","password":"${PASSWORD}"}`),
      ]);
      for (const path of ["/auth/login", "/auth/signup"]) {
        expectClientError(await server.client().post(path, undefined, { raw, headers: { "content-type": "application/json" } }));
      }
    });

    it("a UTF-8 BOM before the JSON: not a 5xx", async () => {
      const raw = `\ufeff{"email":"${uniqueEmail()}","password":"x"}`;
      const response = await server.client().post("/auth/login", undefined, { raw, headers: { "content-type": "application/json" } });
      expectClientError(response);
    });

    it("a password made of emoji, RTL marks, NUL and lone surrogates round-trips through signup and login", async () => {
      const email = uniqueEmail("unicode");
      const raw = (password: string) => `{"email":"${email}","password":"${password}"}`;
      const password = "p\\u00e4ss \\ud83d\\udd11 \\u202e\\u0000 \\u200f w\\u00f6rd";
      const signup = await server
        .client()
        .post("/auth/signup", undefined, { raw: raw(password), headers: { "content-type": "application/json" } });
      expect(signup.status).toBe(201);
      expect(
        (await server.client().post("/auth/login", undefined, { raw: raw(password), headers: { "content-type": "application/json" } }))
          .status,
      ).toBe(200);
      expect(
        (await server.client().post("/auth/login", undefined, { raw: raw("p\\u00e4ss"), headers: { "content-type": "application/json" } }))
          .status,
      ).toBe(401);
      const lone = await server
        .client()
        .post("/auth/login", undefined, { raw: raw("\\ud800\\ud800"), headers: { "content-type": "application/json" } });
      expectError(lone, 401, "invalid_credentials");
    });

    it("over-long fields: 422 too_long on signup, 401 on login", async () => {
      const signup = await server.client().post("/auth/signup", { email: uniqueEmail(), password: "p".repeat(5_000) });
      expectError(signup, 422, "validation_failed");
      expect(signup.body.violations).toEqual([{ field: "password", code: "too_long", message: expect.any(String) }]);
      expectError(
        await server.client().post("/auth/login", { email: uniqueEmail(), password: "p".repeat(5_000) }),
        401,
        "invalid_credentials",
      );
    });

    it("__proto__ and constructor keys are plain data", async () => {
      const raw = `{"__proto__":{"email":"x@example.org","admin":true},"constructor":{"prototype":{"x":1}},"email":"${uniqueEmail()}","password":"x"}`;
      expectError(
        await server.client().post("/auth/login", undefined, { raw, headers: { "content-type": "application/json" } }),
        401,
        "invalid_credentials",
      );
      expectError(
        await server.client().post("/auth/login", undefined, {
          raw: '{"__proto__":{"email":"a@b.org","password":"x"}}',
          headers: { "content-type": "application/json" },
        }),
        400,
        "bad_request",
      );
    });

    it("a small fuzz of odd bodies and types never gets a 5xx", async () => {
      const bodies = [
        "",
        " ",
        "{",
        "}",
        "{}",
        "[",
        "\u0000",
        "\ufffd",
        '{"":""}',
        '{"email":"","password":"","email2":1}',
        "1e999",
        '{"email":1e999}',
        "\ud800",
        '{"a":"\\ud800"}',
        '{"email":"\u2028\u2029"}',
      ];
      const types = ["application/json", "application/problem+json", "application/json; charset=utf-8", "application/json; charset=ascii"];
      for (const raw of bodies) {
        for (const type of types) {
          for (const path of ["/auth/login", "/auth/signup", "/auth/logout"]) {
            const response = await server.client().post(path, undefined, { raw, headers: { "content-type": type } });
            expect(response.status, `${path} ${type} ${JSON.stringify(raw)}: ${response.text}`).toBeLessThan(500);
            if (response.status >= 400) expectClientError(response);
          }
        }
      }
    });
  });

  describe("security 27: header injection and malformed requests at the HTTP layer", () => {
    it.each(HEADER_ATTACKS)("%s: a 4xx, never a 5xx, nothing injected, and the server answers afterwards", async (_name, raw) => {
      const { raw: answer } = await readUntilClose(server.url, raw);
      const status = statusOf(answer);
      expect(status, answer).toBeGreaterThanOrEqual(400);
      expect(status, answer).toBeLessThan(500);
      expect(answer.toLowerCase()).not.toContain("injected");
      expect(answer.toLowerCase()).not.toMatch(/set-cookie: x=1/);
    });

    it("CR LF in the request target cannot inject a response header", async () => {
      // Node reads this as a request line without version followed by a header line; whatever it makes of it,
      // nothing of it comes back as a header.
      const { raw: answer } = await readUntilClose(server.url, "GET /auth/session\r\nSet-Cookie: injected=1 HTTP/1.1\r\nHost: h\r\n\r\n");
      expect(statusOf(answer)).toBeLessThan(500);
      expect(answer).not.toMatch(/\r\nSet-Cookie:/i);
    });

    it("percent-encoded CR LF in the path: 404 not_found in the error shape, no injected header", async () => {
      const { raw: answer } = await readUntilClose(
        server.url,
        "GET /auth/session%0d%0aSet-Cookie:%20injected=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      );
      expect(statusOf(answer)).toBe(404);
      expect(answer).not.toMatch(/\r\nSet-Cookie:/i);
      expect(answer).toContain('"error":"not_found"');
    });

    it.each(["/auth/%ff%fe", "/auth/%E0%A4%A", "/auth/%00", "/auth/session/..%2f..%2fhealthz", "/auth//session%2F"])(
      "odd path %s: a 4xx in the error shape",
      async (path) => {
        const { raw: answer } = await readUntilClose(server.url, `GET ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
        const status = statusOf(answer);
        expect(status, answer).toBeGreaterThanOrEqual(400);
        expect(status, answer).toBeLessThan(500);
        expect(answer).toMatch(/"error":"[a-z_]+"/);
      },
    );

    it("a body cut short (the client hangs up mid-body) leaves the server unharmed", async () => {
      await readUntilClose(
        server.url,
        `POST /auth/login HTTP/1.1\r\nHost: h\r\nX-CSRF: 1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":"a`,
        200,
      );
    });

    // Node's HTTP parser rejects these before Express runs; the server's clientError handler answers them.
    it("security 27: parser-level rejections carry the JSON error shape", async () => {
      const { raw: answer } = await readUntilClose(server.url, HEADER_ATTACKS[0]![1]);
      expect(answer).toMatch(/"error":"bad_request"/);
    });
  });
});
