// The legacy contract fixture speaks the dialects it claims (2019 by default) and its fault knobs do what they say.
import { randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import {
  LEGACY_FAULT_DETAIL,
  startLegacyAuthService,
  uuidV1,
  type LegacyAuthService,
  type LegacyAuthServiceOptions,
} from "../fixtures/legacy-auth-service.js";

const UUID_V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PASSWORD = "correct horse battery";

const started: LegacyAuthService[] = [];
async function start(options?: LegacyAuthServiceOptions): Promise<LegacyAuthService> {
  const service = await startLegacyAuthService(options);
  started.push(service);
  return service;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((service) => service.close()));
});

function post(service: LegacyAuthService, route: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(service.url + route, {
    method: "POST",
    headers: { "content-type": "application/ld+json", accept: "application/ld+json" },
    body: JSON.stringify(body),
    ...init,
  });
}

async function signedIn(service: LegacyAuthService) {
  const email = `u.${randomBytes(4).toString("hex")}@example.org`;
  const signup = await post(service, "/api/users", { email, password: PASSWORD });
  expect(signup.status).toBe(201);
  const user = (await signup.json()) as { id: string; "@id": string };
  const login = await post(service, "/api/refresh_tokens", { email, password: PASSWORD });
  expect(login.status).toBe(201);
  const token = (await login.json()) as { token: string; "@id": string; user: string };
  return { email, userId: user.id, userIri: user["@id"], token: token.token, tokenIri: token["@id"], loginUser: token.user };
}

const getUser = (service: LegacyAuthService, userId: string, token?: string) =>
  fetch(`${service.url}/api/users/${userId}`, { headers: token === undefined ? {} : { "REFRESH-TOKEN": token } });

describe("legacy auth service fixture, 2019 dialect", () => {
  it("makes ordered, unique UUID v1 ids", () => {
    const ids = Array.from({ length: 1000 }, () => uuidV1());
    for (const id of ids) expect(id).toMatch(UUID_V1);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("signs up and logs in with v1 ids and 128-hex tokens", async () => {
    const service = await start();
    const session = await signedIn(service);
    expect(session.userId).toMatch(UUID_V1);
    expect(session.userIri).toBe(`/api/users/${session.userId}`);
    expect(session.loginUser).toBe(session.userIri);
    expect(session.tokenIri.split("/").pop()).toMatch(UUID_V1);
    expect(session.token).toMatch(/^[0-9a-f]{128}$/);
    expect(service.users.get(session.userId)).toMatchObject({ email: session.email, password: PASSWORD });
  });

  it("answers violations with 400 hydra lists without codes", async () => {
    const service = await start();
    const { email } = await signedIn(service);
    const response = await post(service, "/api/users", { email, password: "short" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/ld+json");
    expect(await response.json()).toEqual({
      "@context": "/api/contexts/ConstraintViolationList",
      "@type": "ConstraintViolationList",
      "hydra:title": "An error occurred",
      "hydra:description": "email: This value is already used.\npassword: This value is too short. It should have 8 characters or more.",
      violations: [
        { propertyPath: "email", message: "This value is already used." },
        { propertyPath: "password", message: "This value is too short. It should have 8 characters or more." },
      ],
    });
  });

  it("answers a failed login with 400 {message}, the same for unknown e-mail and wrong password", async () => {
    const service = await start();
    const { email } = await signedIn(service);
    const wrong = await post(service, "/api/refresh_tokens", { email, password: "nope nope nope" });
    const unknown = await post(service, "/api/refresh_tokens", { email: "nobody@example.org", password: PASSWORD });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(await wrong.json()).toEqual({ message: "Invalid credentials." });
    expect(await unknown.json()).toEqual({ message: "Invalid credentials." });
  });

  it("issues RS256 JWTs without sub or kid that verify against its JWKS", async () => {
    const service = await start({ jwtLifetimeSeconds: 60 });
    const { userId, token } = await signedIn(service);
    const response = await getUser(service, userId, token);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({ "@context": "/api/contexts/User", "@id": `/api/users/${userId}`, "@type": "User", id: userId });

    expect(decodeProtectedHeader(body.jwttoken!)).toEqual({ typ: "JWT", alg: "RS256" });
    const { payload } = await jwtVerify(body.jwttoken!, createLocalJWKSet((await service.jwks()) as never), { algorithms: ["RS256"] });
    expect(Object.keys(payload).sort()).toEqual(["aud", "exp", "iat", "iss", "nbf"]);
    expect(payload.exp! - payload.iat!).toBe(60);

    const served = await (await fetch(`${service.url}/.well-known/jwks.json`)).json();
    expect(served).toEqual(await service.jwks());
  });

  it("answers 401 without the header, 403 for revoked tokens and 404 for deleted users", async () => {
    const service = await start();
    const alice = await signedIn(service);
    const bob = await signedIn(service);

    const missing = await getUser(service, alice.userId);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: "Authentication Required" });
    expect((await getUser(service, alice.userId, bob.token)).status).toBe(403);

    service.deleteUser(bob.userId);
    const gone = await getUser(service, bob.userId, bob.token);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ "@type": "hydra:Error" });

    service.revokeAllTokens();
    const revoked = await getUser(service, alice.userId, alice.token);
    expect(revoked.status).toBe(403);
    expect(await revoked.json()).toHaveProperty("message");
  });

  it("revokes on DELETE: 204, then 404", async () => {
    const service = await start();
    const { userId, token, tokenIri } = await signedIn(service);
    const del = () => fetch(service.url + tokenIri, { method: "DELETE", headers: { "REFRESH-TOKEN": token } });
    expect((await del()).status).toBe(204);
    expect((await del()).status).toBe(404);
    expect((await getUser(service, userId, token)).status).toBe(403);
  });

  it("counts requests per endpoint and logs what it received", async () => {
    const service = await start();
    const { userId, token, tokenIri } = await signedIn(service);
    await getUser(service, userId, token);
    await fetch(service.url + tokenIri, { method: "DELETE", headers: { "REFRESH-TOKEN": token } });
    await fetch(`${service.url}/elsewhere`);
    expect(service.counts).toEqual({ signup: 1, login: 1, jwt: 1, logout: 1 });
    expect(service.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /api/users",
      "POST /api/refresh_tokens",
      `GET /api/users/${userId}`,
      `DELETE ${tokenIri}`,
      "GET /elsewhere",
    ]);
    expect(service.requests[2]!.headers["refresh-token"]).toBe(token);
    expect(JSON.parse(service.requests[0]!.body)).toMatchObject({ password: PASSWORD });
  });
});

describe("legacy auth service fixture, other dialects", () => {
  it("speaks 422 problem+json with codes", async () => {
    const service = await start({ dialect: "problem+json" });
    const response = await post(service, "/api/users", { email: "bad", password: PASSWORD });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(await response.json()).toMatchObject({
      title: "An error occurred",
      detail: "email: This value is not a valid email address.",
      violations: [{ propertyPath: "email", code: expect.stringMatching(/^[0-9a-f-]{36}$/) }],
    });
  });

  it("speaks 422 hydra lists with codes", async () => {
    const service = await start({ dialect: "hydra-422" });
    const response = await post(service, "/api/users", {});
    expect(response.status).toBe(422);
    const body = (await response.json()) as { "hydra:title": string; violations: Array<{ code?: string }> };
    expect(body["hydra:title"]).toBe("An error occurred");
    expect(body.violations).toHaveLength(2);
    for (const violation of body.violations) expect(violation.code).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers failed logins with the configured status and shape", async () => {
    const service = await start({ loginFailureStatus: 403, loginFailureShape: "hydra" });
    const response = await post(service, "/api/refresh_tokens", { email: "nobody@example.org", password: PASSWORD });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ "@type": "hydra:Error", "hydra:description": "Invalid credentials." });
  });
});

describe("legacy auth service fixture, faults", () => {
  it("answers a fault status with a body that leaks a secret, only on the chosen endpoint", async () => {
    const service = await start();
    const { email } = await signedIn(service);
    service.fault = { status: 500, only: "login" };
    const failed = await post(service, "/api/refresh_tokens", { email, password: PASSWORD });
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain(LEGACY_FAULT_DETAIL);
    expect((await post(service, "/api/users", { email: "other@example.org", password: PASSWORD })).status).toBe(201);

    service.fault = { status: 503, body: "<html>upstream down</html>" };
    const custom = await post(service, "/api/refresh_tokens", { email, password: PASSWORD });
    expect(custom.status).toBe(503);
    expect(custom.headers.get("content-type")).toContain("text/plain");
    expect(await custom.text()).toBe("<html>upstream down</html>");

    service.fault = {};
    expect((await post(service, "/api/refresh_tokens", { email, password: PASSWORD })).status).toBe(201);
    expect(service.counts.login).toBe(4);
  });

  it("hangs for hangMs, and close() does not wait for a hung request", async () => {
    const service = await start();
    service.fault = { hangMs: 10_000, only: "signup" };
    const before = Date.now();
    await expect(post(service, "/api/users", { email: "a@example.org", password: PASSWORD }, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(Date.now() - before).toBeLessThan(2000);
    expect(service.counts.signup).toBe(1);

    const pending = post(service, "/api/users", { email: "b@example.org", password: PASSWORD }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = Date.now();
    await service.close();
    expect(Date.now() - closing).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("delays answers by delayMs", async () => {
    const service = await start();
    service.fault = { delayMs: 300 };
    const before = Date.now();
    const response = await post(service, "/api/users", { email: "slow@example.org", password: PASSWORD });
    expect(response.status).toBe(201);
    expect(Date.now() - before).toBeGreaterThanOrEqual(280);
  });
});
