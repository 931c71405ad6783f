// The demo upstream: a tiny notes microservice behind the gateway. It trusts nothing but the
// bearer JWT, verified against the auth service's JWKS (RS256, audience, expiry), and keeps notes
// per user (`sub`). A missing, bad or expired token gets 401. It never sees a cookie.
// For a session signed in with an OpenID Connect provider the gateway's bearer is that provider's
// access token: a provider named in `providers` is trusted too (its JWKS from its discovery
// document, its `iss` and the `aud` of its access tokens), and its users are told apart by issuer
// and `sub` together, as the session server does.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";

export interface NotesServiceOptions {
  /**
   * The auth service's origin, whose JWKS verifies the tokens; a function is asked at the first
   * token check (the demo learns the in-process reference service's origin after this starts).
   */
  authServiceUrl: string | (() => string);
  port?: number;
  host?: string;
  audience?: string;
  /** OpenID Connect providers whose JWT access tokens are accepted too: issuer, and the `aud` of their access tokens. */
  providers?: { issuer: string; audience: string }[];
}

export interface RunningNotesService {
  url: string;
  close(): Promise<void>;
}

interface Note {
  id: string;
  text: string;
  createdAt: string;
}

const MAX_NOTE_LENGTH = 2_000;
const MAX_NOTES_PER_USER = 200;

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16_384) throw Object.assign(new Error("too large"), { status: 413 });
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw Object.assign(new Error("bad json"), { status: 400 });
  }
}

export async function startNotesService(options: NotesServiceOptions): Promise<RunningNotesService> {
  const { authServiceUrl } = options;
  let remoteKeys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const jwks: JWTVerifyGetKey = (header, token) => {
    const origin = typeof authServiceUrl === "function" ? authServiceUrl() : authServiceUrl;
    remoteKeys ??= createRemoteJWKSet(new URL("/.well-known/jwks.json", origin));
    return remoteKeys(header, token);
  };
  const audience = options.audience ?? "auth-elements";
  const notesByUser = new Map<string, Note[]>();

  /** A provider's key set, from the `jwks_uri` of its discovery document (asked once; again after a failure). */
  const providerKeys = new Map<string, Promise<ReturnType<typeof createRemoteJWKSet>>>();
  const keysOf = (issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> => {
    let keys = providerKeys.get(issuer);
    if (!keys) {
      keys = fetch(`${issuer}/.well-known/openid-configuration`)
        .then((response) => response.json() as Promise<{ jwks_uri: string }>)
        .then((discovery) => createRemoteJWKSet(new URL(discovery.jwks_uri)));
      keys.catch(() => providerKeys.delete(issuer));
      providerKeys.set(issuer, keys);
    }
    return keys;
  };

  /** The caller's claims, and the key its notes are kept under. */
  async function caller(req: http.IncomingMessage): Promise<JWTPayload & { sub: string; owner: string }> {
    const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(req.headers.authorization ?? "");
    if (!match) throw Object.assign(new Error("missing bearer token"), { status: 401 });
    try {
      const token = match[1]!;
      // The unverified `iss` only picks which keys and claims to check the token against.
      const provider = options.providers?.find(({ issuer }) => issuer === decodeJwt(token).iss);
      const { payload } = provider
        ? await jwtVerify(token, await keysOf(provider.issuer), {
            algorithms: ["RS256"],
            issuer: provider.issuer,
            audience: provider.audience,
          })
        : await jwtVerify(token, jwks, { algorithms: ["RS256"], audience });
      if (typeof payload.sub !== "string" || !payload.sub) throw new Error("no sub");
      return { ...payload, sub: payload.sub, owner: provider ? `${provider.issuer} ${payload.sub}` : payload.sub };
    } catch {
      throw Object.assign(new Error("invalid token"), { status: 401 });
    }
  }

  const server = http.createServer((req, res) => {
    (async () => {
      const user = await caller(req);
      const url = new URL(req.url ?? "/", "http://notes.invalid");
      const notes = notesByUser.get(user.owner) ?? [];
      if (url.pathname === "/whoami" && req.method === "GET") {
        return send(res, 200, { sub: user.sub, email: user.email ?? null, tokenExpiresAt: new Date((user.exp ?? 0) * 1000).toISOString() });
      }
      if (url.pathname === "/notes" && req.method === "GET") return send(res, 200, { user: user.sub, notes });
      if (url.pathname === "/notes" && req.method === "POST") {
        const body = (await readJson(req)) as { text?: unknown } | null;
        const text = typeof body?.text === "string" ? body.text.trim() : "";
        if (!text || text.length > MAX_NOTE_LENGTH)
          return send(res, 422, { error: "invalid_note", message: `A note is 1 to ${MAX_NOTE_LENGTH} characters.` });
        const note = { id: randomUUID(), text, createdAt: new Date().toISOString() };
        notesByUser.set(user.owner, [...notes, note].slice(-MAX_NOTES_PER_USER));
        return send(res, 201, note);
      }
      const noteId = /^\/notes\/([\w-]+)$/.exec(url.pathname)?.[1];
      if (noteId && req.method === "DELETE") {
        notesByUser.set(
          user.owner,
          notes.filter((note) => note.id !== noteId),
        );
        return send(res, 204);
      }
      return send(res, 404, { error: "not_found", message: "No such route." });
    })().catch((error: { status?: number; message?: string }) => {
      const status = error.status ?? 500;
      if (status === 401) res.setHeader("www-authenticate", 'Bearer error="invalid_token"');
      send(res, status, { error: status === 401 ? "invalid_token" : "error", message: status === 500 ? "Internal error." : error.message });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
