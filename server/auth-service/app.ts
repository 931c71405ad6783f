// The HTTP routes of the reference auth service (users, refresh tokens, JWTs, JWKS, the account-lifecycle
// extensions of account.ts and the passkeys of passkeys.ts) in the current API Platform dialect.
// Threat model: callers are untrusted; a refresh token is the only credential after login, so it is checked by hash,
// in constant time, before anything user-specific is revealed (caller.ts); 5xx answers carry no detail; work that
// depends on whether an account exists and is slow (mail) runs after the answer, from the outbox.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { createAccountHandlers, requestedLanguage, userBody, type AccountSettings } from "./account.js";
import { INVALID_REFRESH_TOKEN, authenticatedCaller, nowSeconds, refreshTokenHeader } from "./caller.js";
import { issueJwt, type JwtSettings } from "./jwt.js";
import { pickLanguage } from "./mail/messages.js";
import type { Outbox } from "./mail/outbox.js";
import { createPasskeyHandlers } from "./passkeys.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { hashRefreshToken, newRefreshToken, refreshTokenHashesEqual } from "./refresh-token.js";
import { readObject } from "./request-body.js";
import { LD_JSON, PLAIN_JSON, ReplyError, hydraError, messageError, send, type Reply } from "./responses.js";
import type { SigningKey } from "./signing-key.js";
import { EmailTakenError, normalizeEmail, type UserRow } from "./store.js";
import { emailTaken, validateEmail, validatePassword, violationReply } from "./violations.js";

export interface AuthServiceContext extends AccountSettings {
  signingKey: SigningKey;
  /** Mutable: the issuer defaults to the service's own origin, known only once it listens. */
  jwt: JwtSettings;
  refreshTokenLifetimeSeconds: number;
  /** REQUIRE_EMAIL_VERIFICATION: an unverified account cannot log in (403 code email_not_verified). */
  requireEmailVerification: boolean;
  /** A hash of a password nobody knows (createDummyHash): unknown e-mails are verified against it at full scrypt cost. */
  dummyHash: string;
  outbox: Outbox;
  /** The WebAuthn relying party: WEBAUTHN_RP_ID, the name authenticators show, WEBAUTHN_ORIGINS. */
  webauthn: { rpId: string; rpName: string; origins: readonly string[] };
  /** Where unexpected errors go; the client only ever sees a generic 500. */
  onError(error: unknown): void;
}

type Handler = (req: IncomingMessage, id: string) => Promise<Reply> | Reply;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INVALID_CREDENTIALS = "Invalid credentials.";

export function createRequestHandler(context: AuthServiceContext): RequestListener {
  const { store } = context;
  const account = createAccountHandlers(context);
  const passkeys = createPasskeyHandlers({ store, ...context.webauthn });

  const signup: Handler = async (req) => {
    const body = await readObject(req);
    const emailViolations = validateEmail(body.email);
    if (emailViolations.length === 0 && store.findUserByEmail(body.email as string)) emailViolations.push(emailTaken());
    const violations = [...emailViolations, ...validatePassword(body.password, context.minPasswordLength)];
    if (violations.length > 0) return violationReply(violations);
    // A verifyUrl outside LINK_ORIGINS gets no mail, but does not cost the sign-up (the user can ask again from an
    // allowed page); the operator hears of it, since it means a misconfigured link URL.
    const verifyUrl = account.verifyUrlAllowed(body.verifyUrl) ? (body.verifyUrl as string) : undefined;
    if (body.verifyUrl !== undefined && verifyUrl === undefined) {
      context.onError(new Error("sign-up: verifyUrl is not on LINK_ORIGINS, so no verification mail was sent"));
    }

    const passwordHash = await hashPassword(body.password as string);
    const asked = requestedLanguage(req, body);
    let user: UserRow;
    try {
      user = store.createUser({
        id: randomUUID(),
        email: normalizeEmail(body.email as string),
        passwordHash,
        lang: asked === undefined ? undefined : pickLanguage(asked),
      });
    } catch (error) {
      // Two sign-ups for one e-mail raced past the check above: the database's unique index decides.
      if (error instanceof EmailTakenError) return violationReply([emailTaken()]);
      throw error;
    }
    return {
      status: 201,
      contentType: LD_JSON,
      headers: { Location: `/api/users/${user.id}` },
      body: userBody(user),
      ...(verifyUrl !== undefined ? { after: () => account.mailVerification(user, verifyUrl, asked) } : {}),
    };
  };

  const login: Handler = async (req) => {
    const body = await readObject(req);
    let user: UserRow | undefined;
    if (body.passkey !== undefined) {
      // Extension 8: a passkey assertion instead of a password; anything that does not verify is the same 401.
      user = await passkeys.authenticate(body.passkey);
      if (!user) return hydraError(401, INVALID_CREDENTIALS);
    } else {
      if (typeof body.email !== "string" || typeof body.password !== "string") {
        return hydraError(400, 'The "email" and "password" fields are required and must be strings.');
      }
      user = store.findUserByEmail(body.email);
      // Same scrypt work whether or not the e-mail exists, and one answer for both failures.
      const passwordOk = await verifyPassword(body.password, user?.password_hash ?? context.dummyHash);
      if (!user || !passwordOk) return hydraError(401, INVALID_CREDENTIALS);
    }
    // Only after the right credential: a wrong one must not learn whether the account is verified.
    if (context.requireEmailVerification && user.verified !== 1) {
      return hydraError(403, "This e-mail address is not verified yet.", undefined, "email_not_verified");
    }

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
        // Beside the IRI: a passkey sign-in names no e-mail, and the session shows it.
        email: user.email,
        verified: user.verified === 1,
      },
    };
  };

  const getUserWithJwt: Handler = async (req, id) => {
    const { user } = authenticatedCaller(store, req, id);
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
    if (path === "/api/email_verifications") return { methods: { POST: account.verifyEmail }, id: "" };
    if (path === "/api/email_verification_requests") return { methods: { POST: account.requestVerification }, id: "" };
    if (path === "/api/passkey_registration_options") return { methods: { POST: passkeys.registrationOptions }, id: "" };
    if (path === "/api/passkey_authentication_options") return { methods: { POST: passkeys.authenticationOptions }, id: "" };
    if (path === "/api/passkeys") return { methods: { GET: passkeys.list, POST: passkeys.register }, id: "" };
    // The forgot-password bundle's routes: the collection with its trailing slash (accepted without it too).
    if (path === "/forgot-password/" || path === "/forgot-password") return { methods: { POST: account.requestReset }, id: "" };
    const reset = /^\/forgot-password\/([^/]{1,512})$/.exec(path);
    if (reset) return { methods: { GET: account.inspectResetToken, POST: account.resetPassword }, id: reset[1]! };
    const match = /^\/api\/(users|refresh_tokens|passkeys)\/([^/]+)$/.exec(path);
    if (!match || !UUID.test(match[2]!)) return undefined;
    const id = match[2]!.toLowerCase();
    if (match[1] === "users") return { methods: { GET: getUserWithJwt, PATCH: account.changePassword }, id };
    return match[1] === "passkeys" ? { methods: { DELETE: passkeys.remove }, id } : { methods: { DELETE: logout }, id };
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
      (reply) => {
        send(res, reply);
        if (reply.after) context.outbox.enqueue(reply.after);
      },
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
