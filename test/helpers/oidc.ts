// Test tools for sign-in with an OpenID Connect provider, over real HTTP against the demo IdP
// (demo/idp/test-provider.ts): a browser made of two cookie jars (the session server's, a
// CookieClient, and the provider's), the steps of the flow one by one so that a test can stop between
// them and tamper (replay a callback, send it from another browser, change the nonce), a ready client
// registration for a session server, and an upstream that accepts only access tokens signed by the
// provider for its resource.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { request } from "undici";
import { startTestProvider, type TestProvider, type TestProviderOptions } from "../../demo/idp/test-provider.js";
import { parseSetCookie, type CookieClient, type TestResponse } from "./session-server.js";

export const PROVIDER_ID = "test";
export const CLIENT_ID = "auth-elements-test";
export const CLIENT_SECRET = "a-confidential-client-secret-for-tests";

export type { TestProvider };

/** The environment that makes a session server a client of `idp` as provider "test". */
export function oidcEnv(
  idp: { issuer: string },
  options: { clientId?: string; extra?: Record<string, string> } = {},
): Record<string, string> {
  return {
    OIDC_PROVIDERS: `${PROVIDER_ID}=${idp.issuer}`,
    OIDC_TEST_CLIENT_ID: options.clientId ?? CLIENT_ID,
    OIDC_TEST_CLIENT_SECRET: CLIENT_SECRET,
    OIDC_TEST_NAME: "Test IdP",
    ...options.extra,
  };
}

/** Starts the demo IdP. Its client is registered later (registerServers), once the servers' URLs are known. */
export function startIdp(options: TestProviderOptions = {}): Promise<TestProvider> {
  return startTestProvider(options);
}

/** Registers the test client with redirect and logout URIs on each of these session-server origins. */
export function registerServers(
  idp: TestProvider,
  origins: string[],
  options: { backchannel?: string; clientId?: string; provider?: string } = {},
): void {
  idp.addClient({
    clientId: options.clientId ?? CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    name: "auth-elements tests",
    redirectUris: origins.map((origin) => `${origin}/auth/oidc/${options.provider ?? PROVIDER_ID}/callback`),
    postLogoutRedirectUris: origins.map((origin) => `${origin}/`),
    backchannelLogoutUri: options.backchannel ?? `${origins[0]}/auth/oidc/backchannel-logout`,
  });
}

interface PlainResponse {
  status: number;
  location: string | undefined;
  text: string;
}

/** A cookie jar for the provider's origin (names only: the demo IdP's cookies do not collide). */
export class ProviderJar {
  readonly cookies = new Map<string, string>();

  async fetch(url: string, init: { method?: "GET" | "POST"; form?: URLSearchParams } = {}): Promise<PlainResponse> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await request(url, { method: init.method ?? "GET", headers, body: init.form?.toString() });
    const raw = response.headers["set-cookie"];
    for (const line of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
      const cookie = parseSetCookie(line);
      const expired =
        (cookie.attributes["max-age"] !== undefined && Number(cookie.attributes["max-age"]) <= 0) ||
        (cookie.attributes.expires !== undefined && Date.parse(cookie.attributes.expires) <= Date.now());
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const location = response.headers.location;
    return {
      status: response.statusCode,
      location: location === undefined ? undefined : new URL(String(location), url).href,
      text: await response.body.text(),
    };
  }
}

/** One browser: its jar at the session server and its jar at the provider. */
export interface Browser {
  rp: CookieClient;
  op: ProviderJar;
}

export function newBrowser(rp: CookieClient): Browser {
  return { rp, op: new ProviderJar() };
}

/** `GET /auth/oidc/test/start`: the session server's answer (302 to the provider, or an error). */
export function startSignIn(browser: Browser, returnTo?: string, provider = PROVIDER_ID): Promise<TestResponse> {
  const query = returnTo === undefined ? "" : `?returnTo=${encodeURIComponent(returnTo)}`;
  return browser.rp.get(`/auth/oidc/${provider}/start${query}`);
}

/**
 * At the provider, from the authorization URL: signs in as `email` (or cancels) and consents,
 * following the provider's redirects; resolves to the URL it sends the browser back to (our callback).
 */
export async function atProvider(
  browser: Browser,
  authorizationUrl: string,
  email: string,
  action: "login" | "cancel" = "login",
): Promise<string> {
  let url = authorizationUrl;
  const issuerOrigin = new URL(authorizationUrl).origin;
  for (let hops = 0; hops < 12; hops++) {
    const response = await browser.op.fetch(url);
    if (response.status >= 300 && response.status < 400 && response.location) {
      if (new URL(response.location).origin !== issuerOrigin) return response.location;
      url = response.location;
      continue;
    }
    if (response.status === 200 && /\/interaction\/[^/]+$/.test(new URL(url).pathname)) {
      const submitted =
        action === "login"
          ? await browser.op.fetch(`${url}/login`, { method: "POST", form: new URLSearchParams({ email }) })
          : await browser.op.fetch(`${url}/abort`, { method: "POST", form: new URLSearchParams() });
      if (!submitted.location) throw new Error(`the provider's login answered ${submitted.status}: ${submitted.text.slice(0, 200)}`);
      url = submitted.location;
      continue;
    }
    throw new Error(`unexpected answer from the provider at ${url}: ${response.status} ${response.text.slice(0, 300)}`);
  }
  throw new Error("too many redirects at the provider");
}

/**
 * The callback (an absolute URL at a session server) as this browser sends it: a cross-site
 * navigation from the provider, so only its SameSite=Lax flow cookie comes along, never the
 * SameSite=Strict session cookie.
 */
export function callback(browser: Browser, callbackUrl: string): Promise<TestResponse> {
  const url = new URL(callbackUrl);
  const flowCookie = browser.rp.jar.get("auth.oidc");
  return browser.rp.get(url.pathname + url.search, {
    cookies: false,
    headers: flowCookie === undefined ? {} : { cookie: `auth.oidc=${flowCookie}` },
  });
}

/** The whole flow: start, sign in at the provider as `email`, callback. Resolves to the callback's answer. */
export async function signIn(browser: Browser, email: string, returnTo?: string): Promise<TestResponse> {
  const started = await startSignIn(browser, returnTo);
  if (started.status !== 302) throw new Error(`start answered ${started.status}: ${started.text}`);
  return callback(browser, await atProvider(browser, started.header("location")!, email));
}

/** Drives the provider's logout confirmation page (RP-initiated logout) from its end-session URL. */
export async function confirmLogoutAtProvider(browser: Browser, endSessionUrl: string): Promise<PlainResponse> {
  const page = await browser.op.fetch(endSessionUrl);
  if (page.status !== 200) throw new Error(`end_session answered ${page.status}: ${page.text.slice(0, 300)}`);
  const action = /<form[^>]*action="([^"]+)"/.exec(page.text)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!action || !xsrf) throw new Error(`no logout form in: ${page.text.slice(0, 300)}`);
  return browser.op.fetch(new URL(action, endSessionUrl).href, { method: "POST", form: new URLSearchParams({ xsrf, logout: "yes" }) });
}

export interface VerifyingUpstream {
  origin: string;
  /** Every call, with what its bearer proved (null: refused). */
  calls: Array<{ path: string; claims: JWTPayload | null; token: string | undefined }>;
  close(): Promise<void>;
}

/** An upstream that answers 200 only for a bearer the provider signed (its JWKS) for its resource. */
export async function startVerifyingUpstream(idp: TestProvider): Promise<VerifyingUpstream> {
  const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
  const calls: VerifyingUpstream["calls"] = [];
  const server = http.createServer((req, res) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    const verify = token
      ? jwtVerify(token, jwks, { issuer: idp.issuer, audience: idp.resource }).then(
          (result) => result.payload,
          () => null,
        )
      : Promise.resolve(null);
    void verify.then((claims) => {
      calls.push({ path: req.url ?? "", claims, token });
      res.writeHead(claims ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(claims ? { sub: claims.sub } : { error: "invalid_token" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
