// ID token validation by the OIDC client (auth-client/oidc.ts; issue 16, security.md 33): between
// the session server and the provider sits a proxy that, on request, swaps the ID token of the token
// endpoint's answer for a forged one: signed by another key, altered after signing, or properly
// signed by the provider but for another audience, by another issuer, expired, or without the nonce.
// Each is refused: back to returnTo with #auth_error=oidc_failed, and no session.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../helpers/free-port.js";
import { newBrowser, oidcEnv, registerServers, signIn, startIdp, type TestProvider } from "../../helpers/oidc.js";
import { startTestSessionServer, uniqueEmail, type TestSessionServer } from "../../helpers/session-server.js";

type Forgery = (idToken: string) => Promise<string>;

let idp: TestProvider;
let proxy: http.Server;
let server: TestSessionServer;
let forge: Forgery | undefined;
let forged = 0;

beforeAll(async () => {
  // The provider names itself by the proxy's origin: the session server only ever talks to the proxy.
  const proxyPort = await freePort();
  idp = await startIdp({ issuer: `http://127.0.0.1:${proxyPort}` });
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        // The Host stays the proxy's: the provider builds its endpoint URLs from it.
        const answer = await request(`${idp.url}${req.url}`, {
          method: req.method as "GET",
          headers: req.headers,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        let body = Buffer.from(await answer.body.arrayBuffer());
        const out = { ...answer.headers };
        if (forge && req.method === "POST" && req.url === "/token" && answer.statusCode === 200) {
          const json = JSON.parse(body.toString("utf8")) as { id_token?: string };
          if (json.id_token) {
            json.id_token = await forge(json.id_token);
            forged++;
            body = Buffer.from(JSON.stringify(json));
            out["content-length"] = String(body.length);
          }
        }
        delete out["transfer-encoding"];
        res.writeHead(answer.statusCode, out as http.OutgoingHttpHeaders);
        res.end(body);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(proxyPort, "127.0.0.1", resolve));
  expect((proxy.address() as AddressInfo).port).toBe(proxyPort);
  server = await startTestSessionServer({ env: oidcEnv(idp) });
  registerServers(idp, [server.url]);
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => {
    proxy?.close(() => resolve());
    proxy?.closeAllConnections();
  });
  await idp?.close();
});

/** Re-signs the token's claims, changed by `change`, with the provider's own key. */
const resigned =
  (change: (claims: JWTPayload) => JWTPayload): Forgery =>
  (idToken) =>
    idp.sign(change(decodeJwt(idToken)));

const forgeries: Array<[string, () => Promise<Forgery>]> = [
  [
    "signed by another key under the provider's key id",
    async () => {
      const { privateKey } = await generateKeyPair("RS256");
      return async (idToken) => {
        const kid = JSON.parse(Buffer.from(idToken.split(".")[0]!, "base64url").toString()).kid as string;
        return new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey);
      };
    },
  ],
  [
    "whose claims were changed after signing",
    async () => async (idToken) => {
      const [header, , signature] = idToken.split(".");
      const claims = { ...decodeJwt(idToken), sub: "someone-else" };
      return `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    },
  ],
  [
    "signed by the provider for another client (aud)",
    async () => resigned((claims) => ({ ...claims, aud: "another-client", azp: undefined })),
  ],
  [
    "signed by the provider under another issuer (iss)",
    async () => resigned((claims) => ({ ...claims, iss: "https://elsewhere.example" })),
  ],
  [
    "signed by the provider but expired (exp)",
    async () => resigned((claims) => ({ ...claims, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })),
  ],
  ["signed by the provider but without the nonce", async () => resigned((claims) => ({ ...claims, nonce: undefined }))],
  [
    "unsigned (alg none)",
    async () => async (idToken) => `${Buffer.from('{"alg":"none"}').toString("base64url")}.${idToken.split(".")[1]}.`,
  ],
];

describe("ID tokens the provider did not issue for this sign-in", () => {
  it("control: through the same proxy, an untouched ID token signs in", async () => {
    forge = undefined;
    const b = newBrowser(server.client());
    expect((await signIn(b, uniqueEmail("control"), "/app")).header("location")).toBe("/app");
    expect((await b.rp.get("/auth/session")).body.authenticated).toBe(true);
  });

  it.each(forgeries)("security 33: an ID token %s is refused: #auth_error=oidc_failed, no session", async (_name, make) => {
    forge = await make();
    const before = forged;
    try {
      const b = newBrowser(server.client());
      const answer = await signIn(b, uniqueEmail("forged"), "/app");
      expect(forged - before).toBe(1);
      expect(answer.status).toBe(302);
      expect(answer.header("location")).toBe("/app#auth_error=oidc_failed");
      expect(answer.setCookie.some((line) => line.startsWith(`${server.config.cookieName}=`))).toBe(false);
      expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });
    } finally {
      forge = undefined;
    }
  });
});
