// The demo upstream (issue 4, "Deliver" line 4): the notes service behind the gateway, with the
// reference auth service. It verifies the bearer JWT against the auth service's JWKS, answers who
// is calling from `sub`, keeps notes per user, and refuses a missing, bad or expired token with 401.
import { spawn } from "node:child_process";
import path from "node:path";
import { SignJWT, UnsecuredJWT, decodeJwt, generateKeyPair } from "jose";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthService, type RunningAuthService } from "../../server/auth-service/index.js";
import { startNotesService, type RunningNotesService } from "../../demo/upstream/notes-service.js";
import { apiGet } from "../helpers/gateway.js";
import {
  CookieClient as Client,
  PASSWORD,
  removeTempDirs,
  sleep,
  startTestSessionServer,
  tempDataDir,
  uniqueEmail,
  type CookieClient,
  type TestSessionServer,
} from "../helpers/session-server.js";

let auth: RunningAuthService;
let notes: RunningNotesService;
let server: TestSessionServer;

beforeAll(async () => {
  auth = await startAuthService({ dataDir: tempDataDir(), port: 0 });
  notes = await startNotesService({ authServiceUrl: auth.url });
  server = await startTestSessionServer({ authService: auth.url, env: { UPSTREAMS: `notes=${notes.url}` } });
});

afterAll(async () => {
  await server?.close();
  await notes?.close();
  await auth?.close();
  removeTempDirs();
});

async function signedIn(): Promise<{ c: CookieClient; id: string; email: string }> {
  const c = server.client();
  const email = uniqueEmail("notes");
  const response = await c.post("/auth/signup", { email, password: PASSWORD });
  expect(response.status).toBe(201);
  return { c, id: response.body.user.id, email };
}

/** Calls the notes service directly (not through the gateway) with the given Authorization header. */
async function direct(service: RunningNotesService, path: string, authorization?: string) {
  const response = await request(service.url + path, { headers: authorization === undefined ? {} : { authorization } });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** A JWT straight from a reference auth service, the way the session server gets one. */
async function jwtFrom(service: RunningAuthService): Promise<{ jwt: string; userId: string }> {
  const email = uniqueEmail("direct");
  const json = { "content-type": "application/json", accept: "application/ld+json" };
  const signup = await request(`${service.url}/api/users`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const user = (await signup.body.json()) as { id: string };
  expect(signup.statusCode).toBe(201);
  const login = await request(`${service.url}/api/refresh_tokens`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const grant = (await login.body.json()) as { token: string };
  expect(login.statusCode).toBe(201);
  const jwtResponse = await request(`${service.url}/api/users/${user.id}`, {
    headers: { accept: "application/ld+json", "refresh-token": grant.token },
  });
  const body = (await jwtResponse.body.json()) as { jwttoken: string };
  expect(jwtResponse.statusCode).toBe(200);
  return { jwt: body.jwttoken, userId: user.id };
}

describe("notes service behind the gateway", () => {
  it("whoami answers the caller's sub (the user id) and e-mail", async () => {
    const { c, id, email } = await signedIn();
    const response = await apiGet(c, "/api/notes/whoami");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ sub: id, email });
    expect(Date.parse(response.body.tokenExpiresAt)).toBeGreaterThan(Date.now());
  });

  it("keeps notes per user: two users never see (or delete) each other's", async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const created = await alice.c.post("/api/notes/notes", { text: "alice's secret plan" });
    expect(created.status).toBe(201);
    expect((await bob.c.post("/api/notes/notes", { text: "bob's list" })).status).toBe(201);

    const aliceNotes = await apiGet(alice.c, "/api/notes/notes");
    expect(aliceNotes.body.user).toBe(alice.id);
    expect(aliceNotes.body.notes.map((n: { text: string }) => n.text)).toEqual(["alice's secret plan"]);
    const bobNotes = await apiGet(bob.c, "/api/notes/notes");
    expect(bobNotes.body.user).toBe(bob.id);
    expect(bobNotes.body.notes.map((n: { text: string }) => n.text)).toEqual(["bob's list"]);

    // Bob cannot delete Alice's note by its id: it is looked up among Bob's notes only.
    expect((await bob.c.request("DELETE", `/api/notes/notes/${created.body.id}`)).status).toBe(204);
    expect((await apiGet(alice.c, "/api/notes/notes")).body.notes).toHaveLength(1);
    expect((await alice.c.request("DELETE", `/api/notes/notes/${created.body.id}`)).status).toBe(204);
    expect((await apiGet(alice.c, "/api/notes/notes")).body.notes).toEqual([]);
  });

  it("refuses an invalid note with 422 and an unknown route with 404", async () => {
    const { c } = await signedIn();
    expect((await c.post("/api/notes/notes", { text: "   " })).status).toBe(422);
    expect((await apiGet(c, "/api/notes/nothing-here")).status).toBe(404);
  });

  it("without a session the gateway never calls it: 401 unauthenticated", async () => {
    const response = await apiGet(server.client(), "/api/notes/whoami");
    expect(response.status).toBe(401);
    expect(response.body.error).toBe("unauthenticated");
  });
});

describe("notes service called directly", () => {
  it("a valid token from the auth service is accepted (control for the refusals below)", async () => {
    const { jwt, userId } = await jwtFrom(auth);
    const response = await direct(notes, "/whoami", `Bearer ${jwt}`);
    expect(response.status).toBe(200);
    expect(response.body.sub).toBe(userId);
  });

  it.each([
    ["no Authorization header", undefined],
    ["an empty bearer", "Bearer "],
    ["a garbage token", "Bearer not.a.jwt"],
    ["a non-bearer scheme", "Basic dXNlcjpwYXNz"],
  ])("%s: 401", async (_label, authorization) => {
    const response = await direct(notes, "/whoami", authorization);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe("invalid_token");
    expect(String(response.headers["www-authenticate"])).toMatch(/^Bearer/);
  });

  it("a token signed with another key (same claims, same kid): 401", async () => {
    const { jwt } = await jwtFrom(auth);
    const claims = decodeJwt(jwt);
    const header = JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()) as { kid?: string };
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", ...(header.kid ? { kid: header.kid } : {}) })
      .sign(privateKey);
    expect((await direct(notes, "/whoami", `Bearer ${forged}`)).status).toBe(401);
  });

  it("an unsigned token (alg none) and a tampered payload: 401", async () => {
    const { jwt } = await jwtFrom(auth);
    const claims = decodeJwt(jwt);
    const unsigned = new UnsecuredJWT({ ...claims }).encode();
    expect((await direct(notes, "/whoami", `Bearer ${unsigned}`)).status).toBe(401);
    const [head, , signature] = jwt.split(".");
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url")}.${signature}`;
    expect((await direct(notes, "/whoami", `Bearer ${tampered}`)).status).toBe(401);
  });

  it("an expired token (reference auth service with a 2 s JWT lifetime): accepted while fresh, 401 once expired", async () => {
    const shortAuth = await startAuthService({ dataDir: tempDataDir(), port: 0, jwtLifetimeSeconds: 2 });
    const shortNotes = await startNotesService({ authServiceUrl: shortAuth.url });
    try {
      const { jwt } = await jwtFrom(shortAuth);
      const exp = decodeJwt(jwt).exp! * 1000;
      expect((await direct(shortNotes, "/whoami", `Bearer ${jwt}`)).status).toBe(200);
      await sleep(Math.max(0, exp - Date.now()) + 100);
      const response = await direct(shortNotes, "/whoami", `Bearer ${jwt}`);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe("invalid_token");
    } finally {
      await shortNotes.close();
      await shortAuth.close();
    }
  });
});

describe("the demo (`npm start` entry, demo/start-demo.ts)", () => {
  it("runs the notes service and wires UPSTREAMS to it: /api/notes/whoami answers through the front server", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: tempDataDir(),
      LOG_LEVEL: "warn",
    };
    for (const name of ["REDIS_URL", "REDIS_CLUSTER_NODES", "AUTH_SERVICE", "UPSTREAMS", "NODE_ENV", "SESSION_SECRET"]) delete env[name];
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["demo/start-demo.ts"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 15_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /running at (http:\/\/[\w.:]+)\//.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        child.once("exit", (code) => reject(new Error(`demo exited (${code}):\n${output}`)));
      });
      const c = new Client(url);
      const email = uniqueEmail("demo");
      const signup = await c.post("/auth/signup", { email, password: PASSWORD });
      expect(signup.status).toBe(201);
      const whoami = await apiGet(c, "/api/notes/whoami");
      expect(whoami.status).toBe(200);
      expect(whoami.body).toMatchObject({ sub: signup.body.user.id, email });
      expect((await c.post("/api/notes/notes", { text: "from the demo" })).status).toBe(201);
      expect((await apiGet(c, "/api/notes/notes")).body.notes.map((n: { text: string }) => n.text)).toEqual(["from the demo"]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(3_000).then(() => child.exitCode === null && child.kill("SIGKILL"))]);
      }
    }
  }, 30_000);
});
