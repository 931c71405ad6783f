// The HTTP routes of the reference auth service (users, refresh tokens, JWTs, JWKS) in the current API Platform dialect.
// Threat model: callers are untrusted; a refresh token is the only credential after login, so it is checked by hash,
// in constant time, before anything user-specific is revealed; 5xx answers carry no detail.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { issueJwt, type JwtSettings } from "./jwt.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { hashRefreshToken, newRefreshToken, refreshTokenHashesEqual } from "./refresh-token.js";
import { isPlainObject, readJsonBody } from "./request-body.js";
import { LD_JSON, PLAIN_JSON, ReplyError, hydraError, messageError, send, type Reply } from "./responses.js";
import type { SigningKey } from "./signing-key.js";
import { EmailTakenError, normalizeEmail, type AuthStore, type UserRow } from "./store.js";
import { emailTaken, validateEmail, validatePassword, violationReply } from "./violations.js";

export interface AuthServiceContext {
  store: AuthStore;
  signingKey: SigningKey;
  /** Mutable: the issuer defaults to the service's own origin, known only once it listens. */
  jwt: JwtSettings;
  refreshTokenLifetimeSeconds: number;
  minPasswordLength: number;
  /** A hash of a password nobody knows (createDummyHash): unknown e-mails are verified against it at full scrypt cost. */
  dummyHash: string;
  /** Where unexpected errors go; the client only ever sees a generic 500. */
  onError(error: unknown): void;
}

type Handler = (req: IncomingMessage, id: string) => Promise<Reply> | Reply;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFRESH_TOKEN_FORMAT = /^[0-9a-f]{128}$/;
const INVALID_CREDENTIALS = "Invalid credentials.";
const INVALID_REFRESH_TOKEN = "Invalid refresh token.";

function userBody(user: UserRow): Record<string, string> {
  return { "@context": "/api/contexts/User", "@id": `/api/users/${user.id}`, "@type": "User", id: user.id, email: user.email };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The REFRESH-TOKEN header, or a ReplyError: 401 when absent. */
function refreshTokenHeader(req: IncomingMessage): string {
  const value = req.headers["refresh-token"];
  const token = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!token) throw new ReplyError(messageError(401, "Authentication Required"));
  return token;
}

async function readObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req);
  if (!isPlainObject(body)) throw new ReplyError(hydraError(400, "The input data must be a JSON object."));
  return body;
}

export function createRequestHandler(context: AuthServiceContext): RequestListener {
  const { store } = context;

  const signup: Handler = async (req) => {
    const body = await readObject(req);
    const emailViolations = validateEmail(body.email);
    if (emailViolations.length === 0 && store.findUserByEmail(body.email as string)) emailViolations.push(emailTaken());
    const violations = [...emailViolations, ...validatePassword(body.password, context.minPasswordLength)];
    if (violations.length > 0) return violationReply(violations);

    const passwordHash = await hashPassword(body.password as string);
    let user: UserRow;
    try {
      user = store.createUser({ id: randomUUID(), email: normalizeEmail(body.email as string), passwordHash });
    } catch (error) {
      // Two sign-ups for one e-mail raced past the check above: the database's unique index decides.
      if (error instanceof EmailTakenError) return violationReply([emailTaken()]);
      throw error;
    }
    return { status: 201, contentType: LD_JSON, headers: { Location: `/api/users/${user.id}` }, body: userBody(user) };
  };

  const login: Handler = async (req) => {
    const body = await readObject(req);
    if (typeof body.email !== "string" || typeof body.password !== "string") {
      return hydraError(400, 'The "email" and "password" fields are required and must be strings.');
    }
    const user = store.findUserByEmail(body.email);
    // Same scrypt work whether or not the e-mail exists, and one answer for both failures.
    const passwordOk = await verifyPassword(body.password, user?.password_hash ?? context.dummyHash);
    if (!user || !passwordOk) return hydraError(401, INVALID_CREDENTIALS);

    const now = nowSeconds();
    store.deleteExpiredRefreshTokens(now);
    const id = randomUUID();
    const { token, hash } = newRefreshToken();
    store.createRefreshToken({ id, userId: user.id, tokenHash: hash, expiresAt: now + context.refreshTokenLifetimeSeconds });
    return {
      status: 201,
      contentType: LD_JSON,
      headers: { Location: `/api/refresh_tokens/${id}` },
      body: {
        "@context": "/api/contexts/RefreshToken",
        "@id": `/api/refresh_tokens/${id}`,
        "@type": "RefreshToken",
        token,
        user: `/api/users/${user.id}`,
      },
    };
  };

  const getUserWithJwt: Handler = async (req, id) => {
    const token = refreshTokenHeader(req);
    // Look up by hash (the hash of a 512-bit secret: its index timing reveals nothing usable), then compare in constant time.
    const hash = hashRefreshToken(token);
    const row = REFRESH_TOKEN_FORMAT.test(token) ? store.findRefreshTokenByHash(hash) : undefined;
    if (!row || !refreshTokenHashesEqual(row.token_hash, hash) || row.expires_at <= nowSeconds()) {
      return messageError(403, INVALID_REFRESH_TOKEN);
    }
    const user = store.findUserById(id);
    if (!user) return hydraError(404, "Not Found");
    if (row.user_id !== user.id) return messageError(403, INVALID_REFRESH_TOKEN);
    const jwttoken = await issueJwt(context.signingKey, context.jwt, user);
    return { status: 200, contentType: LD_JSON, body: { ...userBody(user), jwttoken } };
  };

  const logout: Handler = (req, id) => {
    const token = refreshTokenHeader(req);
    const row = store.findRefreshTokenById(id);
    if (!row) return hydraError(404, "Not Found");
    if (!refreshTokenHashesEqual(row.token_hash, hashRefreshToken(token))) return messageError(403, INVALID_REFRESH_TOKEN);
    store.deleteRefreshToken(id);
    return { status: 204 };
  };

  const jwks: Handler = () => ({
    status: 200,
    contentType: PLAIN_JSON,
    headers: { "Cache-Control": "public, max-age=300" },
    body: { keys: [context.signingKey.publicJwk] },
  });

  /** Routes by path; `:id` segments must be UUIDs (any version), anything else is a 404. */
  function route(path: string): { methods: Record<string, Handler>; id: string } | undefined {
    if (path === "/api/users") return { methods: { POST: signup }, id: "" };
    if (path === "/api/refresh_tokens") return { methods: { POST: login }, id: "" };
    if (path === "/.well-known/jwks.json") return { methods: { GET: jwks, HEAD: jwks }, id: "" };
    const match = /^\/api\/(users|refresh_tokens)\/([^/]+)$/.exec(path);
    if (!match || !UUID.test(match[2]!)) return undefined;
    const id = match[2]!.toLowerCase();
    return match[1] === "users" ? { methods: { GET: getUserWithJwt }, id } : { methods: { DELETE: logout }, id };
  }

  async function handle(req: IncomingMessage): Promise<Reply> {
    const path = (req.url ?? "/").split("?")[0]!;
    const found = route(path);
    if (!found) return hydraError(404, "Not Found");
    const handler = found.methods[req.method ?? ""];
    if (!handler) {
      return hydraError(405, `No route found for "${req.method} ${path}": Method Not Allowed`, {
        Allow: Object.keys(found.methods).join(", "),
      });
    }
    return handler(req, found.id);
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    handle(req).then(
      (reply) => send(res, reply),
      (error: unknown) => {
        if (error instanceof ReplyError) {
          send(res, error.reply);
          return;
        }
        context.onError(error);
        send(res, hydraError(500, "Internal Server Error"));
      },
    );
  };
}
