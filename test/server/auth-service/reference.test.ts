// The reference auth service over real HTTP: the contract's endpoints, error shapes, JWTs, durability and what it stores.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdir, readFile, mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequestHandler } from "../../../server/auth-service/app.js";
import { startAuthService, type RunningAuthService } from "../../../server/auth-service/index.js";
import { Outbox } from "../../../server/auth-service/mail/outbox.js";
import { loadOrCreateSigningKey } from "../../../server/auth-service/signing-key.js";
import type { AuthStore } from "../../../server/auth-service/store.js";
import { VIOLATION_CODES } from "../../../server/auth-service/violations.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PASSWORD = "correct horse battery";

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "auth-service-test-"));
  tempDirs.push(dir);
  return dir;
}

let emailCounter = 0;
function uniqueEmail(): string {
  emailCounter += 1;
  return `user${emailCounter}.${randomBytes(4).toString("hex")}@example.org`;
}

function client(base: () => string) {
  const post = (route: string, body: unknown, contentType = "application/ld+json") =>
    fetch(base() + route, {
      method: "POST",
      headers: { "content-type": contentType, accept: "application/ld+json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const getUser = (userId: string, token?: string) =>
    fetch(`${base()}/api/users/${userId}`, {
      headers: { accept: "application/ld+json", ...(token !== undefined ? { "REFRESH-TOKEN": token } : {}) },
    });
  const deleteToken = (tokenIri: string, token?: string) =>
    fetch(base() + tokenIri, {
      method: "DELETE",
      headers: { accept: "application/ld+json", ...(token !== undefined ? { "REFRESH-TOKEN": token } : {}) },
    });
  async function signup(email = uniqueEmail(), password = PASSWORD): Promise<{ email: string; userId: string; userIri: string }> {
    const response = await post("/api/users", { email, password });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; "@id": string };
    return { email, userId: body.id, userIri: body["@id"] };
  }
  async function login(email: string, password = PASSWORD): Promise<{ token: string; tokenIri: string; userIri: string }> {
    const response = await post("/api/refresh_tokens", { email, password });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { token: string; "@id": string; user: string };
    return { token: body.token, tokenIri: body["@id"], userIri: body.user };
  }
  async function signedIn() {
    const user = await signup();
    return { ...user, ...(await login(user.email)) };
  }
  return { post, getUser, deleteToken, signup, login, signedIn };
}

let dataDir: string;
let service: RunningAuthService;
const api = client(() => service.url);

beforeAll(async () => {
  dataDir = await tempDir();
  service = await startAuthService({ dataDir, port: 0 });
});

afterAll(async () => {
  await service?.close();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("POST /api/users (sign up)", () => {
  it("creates the user: 201, Location, JSON-LD body without the password", async () => {
    const email = uniqueEmail();
    const response = await api.post("/api/users", { email, password: PASSWORD });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("application/ld+json; charset=utf-8");
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toEqual({
      "@context": "/api/contexts/User",
      "@id": `/api/users/${body.id as string}`,
      "@type": "User",
      id: expect.stringMatching(UUID),
      email,
      verified: false, // extension 6: a new user starts unverified
    });
    expect(response.headers.get("location")).toBe(body["@id"]);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("password");
  });

  it("stores the e-mail trimmed and lower-cased, so case variants are one account", async () => {
    const local = `Mixed.${randomBytes(3).toString("hex")}`;
    const response = await api.post("/api/users", { email: `  ${local}@Example.ORG `, password: PASSWORD }, "application/json");
    expect(response.status).toBe(201);
    expect(((await response.json()) as { email: string }).email).toBe(`${local.toLowerCase()}@example.org`);

    const again = await api.post("/api/users", { email: `${local.toUpperCase()}@example.org`, password: PASSWORD });
    expect(again.status).toBe(422);
  });

  it("rejects a duplicate e-mail with a 422 problem+json violation list carrying a code", async () => {
    const { email } = await api.signup();
    const response = await api.post("/api/users", { email, password: PASSWORD });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      "@context": "/api/contexts/ConstraintViolationList",
      "@type": "ConstraintViolationList",
      title: "An error occurred",
      detail: "email: This value is already used.",
      status: 422,
      violations: [{ propertyPath: "email", message: "This value is already used.", code: VIOLATION_CODES.notUnique }],
    });
  });

  it.each([
    ["a short password", { email: "short@example.org", password: "1234567" }, [["password", VIOLATION_CODES.tooShort]]],
    ["an invalid e-mail", { email: "not-an-email", password: PASSWORD }, [["email", VIOLATION_CODES.invalidEmail]]],
    [
      "missing fields",
      {},
      [
        ["email", VIOLATION_CODES.blank],
        ["password", VIOLATION_CODES.blank],
      ],
    ],
    [
      "blank fields",
      { email: "  ", password: "" },
      [
        ["email", VIOLATION_CODES.blank],
        ["password", VIOLATION_CODES.blank],
      ],
    ],
    [
      "wrong types",
      { email: 42, password: ["x"] },
      [
        ["email", VIOLATION_CODES.wrongType],
        ["password", VIOLATION_CODES.wrongType],
      ],
    ],
    ["a password over 4096 characters", { email: "long@example.org", password: "x".repeat(4097) }, [["password", VIOLATION_CODES.tooLong]]],
  ])("rejects %s with 422 and the matching violations", async (_name, payload, expected) => {
    const response = await api.post("/api/users", payload);
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const body = (await response.json()) as { violations: Array<{ propertyPath: string; code: string; message: string }>; detail: string };
    expect(body.violations.map((v) => [v.propertyPath, v.code])).toEqual(expected);
    for (const violation of body.violations) {
      expect(violation.code).toMatch(UUID);
      expect(body.detail).toContain(`${violation.propertyPath}: ${violation.message}`);
    }
  });

  it("uses a distinct code per constraint kind", () => {
    const codes = Object.values(VIOLATION_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("answers malformed JSON and non-object JSON with a 400 hydra:Error", async () => {
    for (const raw of ['{"email": ', "[1,2]", ""]) {
      const response = await api.post("/api/users", raw);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/ld+json; charset=utf-8");
      expect(await response.json()).toMatchObject({
        "@context": "/api/contexts/Error",
        "@type": "hydra:Error",
        "hydra:title": "An error occurred",
      });
    }
  });

  it("answers a non-JSON or missing content type with 415", async () => {
    const text = await api.post("/api/users", JSON.stringify({ email: uniqueEmail(), password: PASSWORD }), "text/plain");
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ "@type": "hydra:Error" });

    const none = await fetch(`${service.url}/api/users`, { method: "POST", body: new Uint8Array([123, 125]) });
    expect(none.status).toBe(415);
  });

  it("refuses a body over 64 KiB with 413", async () => {
    const response = await api.post("/api/users", { email: uniqueEmail(), password: "x".repeat(70 * 1024) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ "@type": "hydra:Error" });
  });
});

describe("POST /api/refresh_tokens (log in)", () => {
  it("returns 201 with a 128-hex token, its IRI and the user's IRI", async () => {
    const { email, userIri } = await api.signup();
    const response = await api.post("/api/refresh_tokens", { email, password: PASSWORD });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("application/ld+json; charset=utf-8");
    const body = (await response.json()) as Record<string, string>;
    expect(body).toEqual({
      "@context": "/api/contexts/RefreshToken",
      "@id": expect.stringMatching(/^\/api\/refresh_tokens\/[0-9a-f-]{36}$/),
      "@type": "RefreshToken",
      token: expect.stringMatching(/^[0-9a-f]{128}$/),
      user: userIri,
      email, // extension 8: a passkey sign-in names no address, so every answer says whose token it is
      verified: false, // extension 6: the answer says whether the address is verified
    });
    expect(body["@id"]!.split("/").pop()).toMatch(UUID);
  });

  it("gives each login its own token", async () => {
    const { email } = await api.signup();
    const first = await api.login(email);
    const second = await api.login(email);
    expect(first.token).not.toBe(second.token);
    expect(first.tokenIri).not.toBe(second.tokenIri);
  });

  it("accepts the e-mail in another case", async () => {
    const { email } = await api.signup();
    await api.login(email.toUpperCase());
  });

  it("answers a wrong password and an unknown e-mail identically (401 hydra:Error)", async () => {
    const { email } = await api.signup();
    const wrongPassword = await api.post("/api/refresh_tokens", { email, password: "wrong password!" });
    const unknownEmail = await api.post("/api/refresh_tokens", { email: uniqueEmail(), password: PASSWORD });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(wrongPassword.status);
    expect(unknownEmail.headers.get("content-type")).toBe(wrongPassword.headers.get("content-type"));
    const body = await wrongPassword.text();
    expect(await unknownEmail.text()).toBe(body);
    expect(JSON.parse(body)).toEqual({
      "@context": "/api/contexts/Error",
      "@type": "hydra:Error",
      "hydra:title": "An error occurred",
      "hydra:description": "Invalid credentials.",
    });
  });

  it("answers missing or wrong-typed fields with a 400 hydra:Error", async () => {
    for (const payload of [{}, { email: "a@example.org" }, { email: 1, password: PASSWORD }, { email: "a@example.org", password: null }]) {
      const response = await api.post("/api/refresh_tokens", payload);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ "@type": "hydra:Error" });
    }
  });
});

describe("GET /api/users/<id> (JWT)", () => {
  it("returns the user with an RS256 JWT that verifies against the JWKS", async () => {
    const { email, userId, token } = await api.signedIn();
    const response = await api.getUser(userId, token);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/ld+json; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({ "@context": "/api/contexts/User", "@id": `/api/users/${userId}`, "@type": "User", id: userId, email });

    const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", service.url));
    const { payload, protectedHeader } = await jwtVerify(body.jwttoken!, jwks, {
      algorithms: ["RS256"],
      issuer: service.url,
      audience: "auth-elements",
    });
    expect(payload.sub).toBe(userId);
    expect(payload.email).toBe(email);
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.nbf).toBe(payload.iat);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);

    const jwksResponse = await fetch(`${service.url}/.well-known/jwks.json`);
    expect(jwksResponse.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const { keys } = (await jwksResponse.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: protectedHeader.kid });
    expect(keys[0]).not.toHaveProperty("d");
    expect(keys[0]).not.toHaveProperty("p");
  });

  it("answers a missing REFRESH-TOKEN header with 401 {message}", async () => {
    const { userId } = await api.signedIn();
    const response = await api.getUser(userId);
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await response.json()).toEqual({ message: "Authentication Required" });
  });

  it("answers an unknown token, and another user's token, with 403 {message}", async () => {
    const alice = await api.signedIn();
    const bob = await api.signedIn();
    for (const token of [randomBytes(64).toString("hex"), "garbage", bob.token]) {
      const response = await api.getUser(alice.userId, token);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ message: "Invalid refresh token." });
    }
  });

  it("answers an unknown user with a 404 hydra:Error", async () => {
    const { token } = await api.signedIn();
    const unknown = await api.getUser(randomUUID(), token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ "@type": "hydra:Error" });
    expect((await api.getUser("not-a-uuid", token)).status).toBe(404);
  });

  it("refuses an expired refresh token", async () => {
    const shortDir = await tempDir();
    const short = await startAuthService({ dataDir: shortDir, refreshTokenLifetimeSeconds: 1 });
    try {
      const shortApi = client(() => short.url);
      const { userId, token } = await shortApi.signedIn();
      expect((await shortApi.getUser(userId, token)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await shortApi.getUser(userId, token)).status).toBe(403);
    } finally {
      await short.close();
    }
  });
});

describe("DELETE /api/refresh_tokens/<id> (log out)", () => {
  it("revokes the token: 204, then 404, and the token gets no more JWTs", async () => {
    const { userId, token, tokenIri } = await api.signedIn();
    const first = await api.deleteToken(tokenIri, token);
    expect(first.status).toBe(204);
    expect(await first.text()).toBe("");

    const second = await api.deleteToken(tokenIri, token);
    expect(second.status).toBe(404);
    expect(await second.json()).toMatchObject({ "@type": "hydra:Error" });

    const jwt = await api.getUser(userId, token);
    expect(jwt.status).toBe(403);
  });

  it("refuses a token that does not belong to that id (403) and keeps it working", async () => {
    const alice = await api.signedIn();
    const bob = await api.signedIn();
    const response = await api.deleteToken(alice.tokenIri, bob.token);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: "Invalid refresh token." });
    expect((await api.getUser(alice.userId, alice.token)).status).toBe(200);
  });

  it("answers a missing header with 401 and an unknown id with 404", async () => {
    const { token, tokenIri } = await api.signedIn();
    expect((await api.deleteToken(tokenIri)).status).toBe(401);
    expect((await api.deleteToken(`/api/refresh_tokens/${randomUUID()}`, token)).status).toBe(404);
  });
});

describe("routing and failures", () => {
  it("answers unknown routes with a 404 hydra:Error and wrong methods with 405", async () => {
    const unknown = await fetch(`${service.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/ld+json; charset=utf-8");
    expect(await unknown.json()).toMatchObject({ "@type": "hydra:Error" });

    const wrongMethod = await fetch(`${service.url}/api/users`, { method: "PUT" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(await wrongMethod.json()).toMatchObject({ "@type": "hydra:Error" });
  });

  it("hides the details of an unexpected error behind a generic 500", async () => {
    const keyDir = await tempDir();
    const errors: unknown[] = [];
    const failingStore = new Proxy({} as AuthStore, {
      get: () => () => {
        throw new Error("SQLITE_IOERR: disk I/O error at /var/lib/secret-path");
      },
    });
    const server: Server = createServer(
      createRequestHandler({
        store: failingStore,
        signingKey: await loadOrCreateSigningKey(keyDir),
        jwt: { issuer: "http://issuer.test", audience: "auth-elements", lifetimeSeconds: 120 },
        refreshTokenLifetimeSeconds: 3600,
        minPasswordLength: 8,
        webauthn: { rpId: "localhost", rpName: "localhost", origins: ["http://localhost:3000"] },
        dummyHash: "scrypt$16384$8$1$AAAA$AAAA",
        onError: (error) => errors.push(error),
        mailer: { description: "none", send: async () => undefined, close: () => undefined },
        outbox: new Outbox((error) => errors.push(error)),
        linkOrigins: [],
        requireEmailVerification: false,
        resetTokenLifetimeSeconds: 1800,
        verificationTokenLifetimeSeconds: 86_400,
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/api/refresh_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "a@example.org", password: PASSWORD }),
      });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        "@context": "/api/contexts/Error",
        "@type": "hydra:Error",
        "hydra:title": "An error occurred",
        "hydra:description": "Internal Server Error",
      });
      expect(text).not.toMatch(/SQLITE|secret-path|at /);
      expect(errors).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("storage", () => {
  it("survives a restart: users can still log in, tokens still work, and the signing key is the same", async () => {
    const dir = await tempDir();
    let first: RunningAuthService | undefined = await startAuthService({ dataDir: dir });
    let second: RunningAuthService | undefined;
    try {
      const firstApi = client(() => first!.url);
      const { email, userId, token } = await firstApi.signedIn();
      const before = (await (await firstApi.getUser(userId, token)).json()) as { jwttoken: string };
      await first.close();
      first = undefined;

      second = await startAuthService({ dataDir: dir, jwtLifetimeSeconds: 45, issuer: "https://auth.example.org", audience: "notes" });
      const secondApi = client(() => second!.url);
      const after = await secondApi.getUser(userId, token);
      expect(after.status).toBe(200);
      const { jwttoken } = (await after.json()) as { jwttoken: string };
      expect(decodeProtectedHeader(jwttoken).kid).toBe(decodeProtectedHeader(before.jwttoken).kid);

      const relogin = await secondApi.login(email);
      const fresh = (await (await secondApi.getUser(userId, relogin.token)).json()) as { jwttoken: string };
      const { payload } = await jwtVerify(fresh.jwttoken, createRemoteJWKSet(new URL("/.well-known/jwks.json", second.url)), {
        issuer: "https://auth.example.org",
        audience: "notes",
      });
      expect(payload.exp! - payload.iat!).toBe(45);
    } finally {
      await first?.close();
      await second?.close();
    }
  });

  it("keeps the signing key in a 0600 file under dataDir", async () => {
    const info = await stat(path.join(dataDir, "auth-service-signing-key.json"));
    expect(info.mode & 0o777).toBe(0o600);
    const entries = await readdir(dataDir);
    expect(entries.filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("creates a missing data directory", async () => {
    const nested = path.join(await tempDir(), "a", "b");
    const nestedService = await startAuthService({ dataDir: nested });
    await nestedService.close();
    expect((await stat(path.join(nested, "auth-service.sqlite"))).isFile()).toBe(true);
  });

  it("stores neither plain passwords nor plain refresh tokens", async () => {
    const password = `plain-${randomBytes(8).toString("hex")}`;
    const { email, userId } = await api.signup(uniqueEmail(), password);
    const { token, tokenIri } = await api.login(email, password);

    const db = new Database(path.join(dataDir, "auth-service.sqlite"), { readonly: true, fileMustExist: true });
    try {
      const user = db.prepare("SELECT * FROM users WHERE id = ?").get(userId) as Record<string, string>;
      expect(user.password_hash).toMatch(/^scrypt\$/);
      expect(user.password_hash).not.toContain(password);
      const row = db.prepare("SELECT * FROM refresh_tokens WHERE id = ?").get(tokenIri.split("/").pop()) as Record<string, string>;
      expect(row.token_hash).toBe(createHash("sha256").update(token).digest("hex"));

      const everything = JSON.stringify([db.prepare("SELECT * FROM users").all(), db.prepare("SELECT * FROM refresh_tokens").all()]);
      expect(everything).not.toContain(password);
      expect(everything).not.toContain(token);
    } finally {
      db.close();
    }
    // The raw files too, write-ahead log included.
    for (const name of await readdir(dataDir)) {
      if (!name.startsWith("auth-service.sqlite")) continue;
      const bytes = await readFile(path.join(dataDir, name));
      expect(bytes.includes(password)).toBe(false);
      expect(bytes.includes(token)).toBe(false);
    }
  });
});
