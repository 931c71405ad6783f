// DEMO IDENTITY PROVIDER: for the tests and `npm start` only, never for real users. Anyone signs in
// as any e-mail address, with no password.
//
// A real OpenID Connect provider (oidc-provider 9, a devDependency: the shipped session server never
// imports this) on its own port, configured like a typical production IdP: confidential clients
// (client_secret_post), authorization code with PKCE required, short-lived JWT access tokens for one
// resource (verifiable by any upstream against its JWKS), rotating refresh tokens for
// `offline_access`, revocation, RP-initiated logout and back-channel logout. Its login page is a plain
// HTML form (an e-mail field, "Sign in" and "Cancel") that a test can drive over HTTP and Chromium can
// click through; consent is given at once. Clients can be added after start, once their redirect
// URIs are known.
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import Provider, { type InteractionDetails, type KoaContext } from "oidc-provider";

export interface DemoClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Where the provider posts logout tokens (OIDC Back-Channel Logout 1.0). */
  backchannelLogoutUri?: string;
  name?: string;
}

export interface TestProviderOptions {
  /** Default 0: a free port. */
  port?: number;
  host?: string;
  /** The issuer identifier, when clients reach it through something in front; default `http://host:port`. */
  issuer?: string;
  /** Lifetime of access tokens, seconds (default 300). */
  accessTokenTtlSeconds?: number;
  /** The resource (audience) of its access tokens; default `urn:auth-elements:demo-api`. */
  resource?: string;
  /**
   * "userinfo": opaque access tokens for its userinfo endpoint instead, and ID tokens with no
   * e-mail (clients must ask userinfo), as some providers do. Default "resource".
   */
  accessTokensFor?: "resource" | "userinfo";
  clients?: DemoClient[];
}

export interface TestProvider {
  /** Its issuer identifier (`http://host:port` unless told otherwise). */
  readonly issuer: string;
  /** Where it listens: `http://host:port`. */
  readonly url: string;
  readonly port: number;
  /** The `aud` of its access tokens. */
  readonly resource: string;
  /** What it was asked, by kind, counted as requests arrive (whatever the answer). */
  readonly counts: {
    authorization: number;
    authorizationCode: number;
    refreshToken: number;
    revocation: number;
    endSession: number;
    backchannelLogout: number;
  };
  /** Back-channel logout deliveries that the client answered with an error. */
  readonly backchannelErrors: string[];
  /** The lifetime of the access tokens it issues from now on, seconds. */
  setAccessTokenTtl(seconds: number): void;
  addClient(client: DemoClient): void;
  /** The `sub` that an e-mail address signs in as. */
  subjectOf(email: string): string;
  /** Ends every grant of that account: its refresh tokens are refused (`invalid_grant`) from now on. */
  revokeAccount(email: string): number;
  /** Signs a JWT with the provider's own signing key (tests make logout tokens with it). */
  sign(claims: JWTPayload, header?: { typ?: string }): Promise<string>;
  /** Stops listening (the provider keeps its state); start() listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const BANNER = "Demo IdP: for tests and the demo only. Any e-mail address signs in, with no password.";

interface Stored {
  payload: Record<string, unknown>;
  expiresAt: number;
}

/** oidc-provider's storage, one Map per provider, so that a test can end an account's grants. */
class Storage {
  readonly entries = new Map<string, Stored>();
  readonly clients = new Map<string, Record<string, unknown>>();

  get(key: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.entries.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  }

  adapter(model: string) {
    const { entries, clients } = this;
    const get = (key: string) => this.get(key);
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : Number.MAX_SAFE_INTEGER;
        entries.set(key(id), { payload, expiresAt });
        if (model === "Session" && typeof payload.uid === "string") {
          entries.set(`SessionUid:${payload.uid}`, { payload: { id }, expiresAt });
        }
      },
      async find(id: string) {
        if (model === "Client") return clients.get(id);
        return get(key(id));
      },
      async findByUid(uid: string) {
        const id = get(`SessionUid:${uid}`)?.id;
        return typeof id === "string" ? get(key(id)) : undefined;
      },
      async findByUserCode() {
        return undefined;
      },
      async consume(id: string) {
        const payload = get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const [entryKey, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(entryKey);
      },
    };
  }
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body>
<p role="note"><strong>${escapeHtml(BANNER)}</strong></p>
${body}
</body>
</html>`;
}

function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > 16_384) req.destroy(new Error("form too large"));
    });
    req.on("end", () => resolve(new URLSearchParams(text)));
    req.on("error", reject);
  });
}

export async function startTestProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const host = options.host ?? "127.0.0.1";
  const resource = options.resource ?? "urn:auth-elements:demo-api";
  let accessTokenTtl = options.accessTokenTtlSeconds ?? 300;
  const storage = new Storage();
  const accounts = new Map<string, string>(); // sub -> e-mail
  const counts = { authorization: 0, authorizationCode: 0, refreshToken: 0, revocation: 0, endSession: 0, backchannelLogout: 0 };
  const backchannelErrors: string[] = [];
  const subjectOf = (email: string): string => `sub-${createHash("sha256").update(email.trim().toLowerCase()).digest("hex").slice(0, 20)}`;

  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString("hex"), alg: "RS256", use: "sig" };

  const sockets = new Set<Socket>();
  let server: http.Server | undefined;
  let port = options.port ?? 0;
  // The issuer must be known before the provider exists: with port 0, take one now.
  if (port === 0) {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, host, resolve));
    port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
  const issuer = options.issuer ?? `http://${host}:${port}`;

  const provider = new Provider(issuer, {
    adapter: (model: string) => storage.adapter(model),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    async findAccount(_ctx: unknown, sub: string) {
      const email = accounts.get(sub);
      if (!email) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email, email_verified: true, name: email.split("@")[0] }) };
    },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    scopes: ["openid", "offline_access", "email", "profile"],
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      id_token_signed_response_alg: "RS256",
    },
    pkce: { required: () => true },
    // oidc-provider refuses to call loopback and private addresses (SSRF protection); the demo's and
    // the tests' back-channel logout URIs are exactly that, so this demo IdP lets them through.
    fetch: (url: string, init: RequestInit & { dispatcher?: unknown }) =>
      globalThis.fetch(url, { ...init, dispatcher: undefined } as RequestInit),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx: KoaContext, form: string) {
          ctx.type = "html";
          ctx.body = page(
            "Sign out",
            `<h1>Sign out of the demo IdP?</h1>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button> <button type="submit" form="op.logoutForm">No</button>`,
          );
        },
        async postLogoutSuccessSource(ctx: KoaContext) {
          ctx.type = "html";
          ctx.body = page("Signed out", "<h1>You are signed out of the demo IdP.</h1>");
        },
      },
      // JWT access tokens for one resource, whatever the client asks: any upstream can verify them.
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => (options.accessTokensFor === "userinfo" ? undefined : resource),
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: "api",
          audience: resource,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    ttl: {
      AccessToken: () => accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 86_400,
      Session: 86_400,
      Grant: 86_400,
    },
    // Rotate on every use, as a strict production IdP does: a spent refresh token is refused.
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
  });

  provider.use(async (ctx, next) => {
    // Like Keycloak or Auth0, issue refresh tokens for offline_access without asking for prompt=consent
    // (oidc-provider would drop offline_access otherwise); consent is given at once below anyway.
    if (ctx.path === "/auth") {
      counts.authorization++;
      const query = new URLSearchParams(ctx.querystring);
      if (query.get("scope")?.split(" ").includes("offline_access") && !query.has("prompt")) {
        query.set("prompt", "consent");
        ctx.querystring = query.toString();
      }
    }
    await next();
    if (ctx.path === "/token" && ctx.method === "POST") {
      const grantType = ctx.oidc?.params?.grant_type;
      if (grantType === "authorization_code") counts.authorizationCode++;
      if (grantType === "refresh_token") counts.refreshToken++;
    }
    if (ctx.path === "/token/revocation" && ctx.method === "POST") counts.revocation++;
    if (ctx.path.startsWith("/session/end/confirm") && ctx.method === "POST") counts.endSession++;
  });
  provider.on("backchannel.success", () => counts.backchannelLogout++);
  provider.on("backchannel.error", (...args: unknown[]) => {
    counts.backchannelLogout++;
    backchannelErrors.push(String((args[1] as Error | undefined)?.message ?? args[1]));
  });

  async function grantFor(details: InteractionDetails, accountId: string): Promise<string> {
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope ?? "openid"));
    grant.addResourceScope(resource, "api");
    return grant.save();
  }

  async function interaction(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", issuer);
    const [, , uid, action] = url.pathname.split("/");
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    if (req.method === "GET") {
      const accountId = details.session?.accountId;
      if (details.prompt.name !== "login" && accountId) {
        // Already signed in here: consent at once.
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId: await grantFor(details, accountId) } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      const client = storage.clients.get(details.params.client_id);
      const clientName = escapeHtml(String(client?.client_name ?? details.params.client_id));
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(
        page(
          "Sign in to the demo IdP",
          `<h1>Sign in to continue to ${clientName}</h1>
<form method="post" action="/interaction/${escapeHtml(uid!)}/login">
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="username" required value="demo@example.org">
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid!)}/abort"><button type="submit">Cancel</button></form>`,
        ),
      );
      return;
    }
    if (req.method === "POST" && action === "login") {
      const email = (await readForm(req)).get("email")?.trim().toLowerCase() ?? "";
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
        res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("an e-mail address is needed");
        return;
      }
      const accountId = subjectOf(email);
      accounts.set(accountId, email);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId }, consent: { grantId: await grantFor(details, accountId) } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (req.method === "POST" && action === "abort") {
      await provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "End-User aborted interaction" },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    res.writeHead(405).end();
  }

  const handle = provider.callback();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.url?.startsWith("/interaction/")) {
      interaction(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
        res.end(`interaction failed: ${(error as Error).message}`);
      });
      return;
    }
    handle(req, res);
  };

  async function listen(): Promise<void> {
    const next = http.createServer(listener);
    next.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      next.once("error", reject);
      next.listen(port, host, () => resolve());
    });
    server = next;
  }

  async function stop(): Promise<void> {
    const current = server;
    server = undefined;
    if (!current) return;
    await new Promise<void>((resolve) => {
      current.close(() => resolve());
      current.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
  }

  await listen();
  for (const client of options.clients ?? []) addClient(client);

  function addClient(client: DemoClient): void {
    storage.clients.set(client.clientId, {
      client_id: client.clientId,
      client_secret: client.clientSecret,
      client_name: client.name ?? client.clientId,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      ...(client.backchannelLogoutUri && {
        backchannel_logout_uri: client.backchannelLogoutUri,
        backchannel_logout_session_required: true,
      }),
    });
  }

  return {
    issuer,
    url: `http://${host}:${port}`,
    port,
    resource,
    counts,
    backchannelErrors,
    setAccessTokenTtl(seconds) {
      accessTokenTtl = seconds;
    },
    addClient,
    subjectOf,
    revokeAccount(email) {
      const sub = subjectOf(email);
      let ended = 0;
      for (const [key, entry] of storage.entries) {
        if (entry.payload.accountId === sub && /^(Grant|RefreshToken|AccessToken):/.test(key)) {
          storage.entries.delete(key);
          ended++;
        }
      }
      return ended;
    },
    sign(claims, header = {}) {
      return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: signingJwk.kid, ...header }).sign(privateKey);
    },
    stop,
    start: async () => {
      if (!server) await listen();
    },
    close: stop,
  };
}
