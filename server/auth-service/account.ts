// The account-lifecycle routes of the reference auth service (auth-api-contract.md, extensions 5-7): password reset
// on the routes of tilleuls/forgot-password-bundle, e-mail verification, and the password change.
// Threat model: anyone may ask for a link, so "mail me a link" answers 204 after checking only the request itself
// (never the account): finding the account, making its token and mailing it happen after the answer (outbox.ts), so
// neither the answer nor its timing tells whether an account exists. Link tokens are random, stored hashed, expiring
// and spent by their first use (link-tokens.ts, store.ts); links only point to LINK_ORIGINS. A password change needs
// the current password and a refresh token of that same user.
import type { IncomingMessage } from "node:http";
import { authenticatedCaller, nowSeconds } from "./caller.js";
import { LINK_TOKEN_FORMAT, allowedLinkUrl, hashLinkToken, linkFor, newLinkToken } from "./link-tokens.js";
import type { Mailer } from "./mail/mailer.js";
import { composeMail, pickLanguage, type MailKind } from "./mail/messages.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { MERGE_PATCH_TYPES, readObject } from "./request-body.js";
import { LD_JSON, hydraError, type Reply } from "./responses.js";
import type { AuthStore, LinkTokenKind, UserRow } from "./store.js";
import { validatePassword, violationReply } from "./violations.js";

export interface AccountSettings {
  store: AuthStore;
  mailer: Mailer;
  /** Exact origins a mailed link may point to (LINK_ORIGINS). */
  linkOrigins: readonly string[];
  minPasswordLength: number;
  resetTokenLifetimeSeconds: number;
  verificationTokenLifetimeSeconds: number;
}

export function userBody(user: UserRow): Record<string, unknown> {
  return {
    "@context": "/api/contexts/User",
    "@id": `/api/users/${user.id}`,
    "@type": "User",
    id: user.id,
    email: user.email,
    verified: user.verified === 1,
  };
}

const notFound = (): Reply => hydraError(404, "Not Found");

function originRefused(field: string): Reply {
  return hydraError(400, `${field}: this URL's origin is not one this service sends links to (LINK_ORIGINS).`);
}

function acceptLanguage(req: IncomingMessage): string | undefined {
  const value = req.headers["accept-language"];
  return Array.isArray(value) ? value[0] : value;
}

/** The language a request asks for (`lang` in the body, then Accept-Language), or undefined. */
export function requestedLanguage(req: IncomingMessage, body: Record<string, unknown>): string | undefined {
  const lang = typeof body.lang === "string" ? body.lang : undefined;
  return lang ?? acceptLanguage(req);
}

export function createAccountHandlers(settings: AccountSettings) {
  const { store, mailer } = settings;

  /** Makes a token for `user`, stores its hash and mails the link (runs after the answer, from the outbox). */
  async function mailLink(kind: MailKind, user: UserRow, url: string, lang: string | undefined): Promise<void> {
    const now = nowSeconds();
    store.deleteExpiredLinkTokens(now);
    const { token, hash } = newLinkToken();
    const lifetime = kind === "reset" ? settings.resetTokenLifetimeSeconds : settings.verificationTokenLifetimeSeconds;
    const link = linkFor(url, token, settings.linkOrigins);
    if (!link) return; // checked before answering; LINK_ORIGINS does not change while running
    store.createLinkToken({ tokenHash: hash, kind, userId: user.id, expiresAt: now + lifetime });
    const language = pickLanguage(lang, user.lang);
    await mailer.send({ kind, to: user.email, lang: language, link, ...composeMail(kind, language, user.email, link) });
  }

  /** The unspent, unexpired token's row for a link token as received (any text), or undefined. */
  function liveToken(raw: string, kind: LinkTokenKind) {
    if (!LINK_TOKEN_FORMAT.test(raw)) return undefined;
    return store.findLinkToken(hashLinkToken(raw), kind, nowSeconds());
  }

  return {
    /** Whether a verifyUrl may be used (sign-up mails only to one that may). */
    verifyUrlAllowed: (url: unknown): boolean => allowedLinkUrl(url, settings.linkOrigins) !== undefined,

    /** After a sign-up with a verifyUrl: the verification mail. */
    mailVerification: (user: UserRow, verifyUrl: string, lang: string | undefined): Promise<void> =>
      mailLink("verify", user, verifyUrl, lang),

    /** `POST /forgot-password/` `{email, resetUrl}`: 204 whatever the account. */
    async requestReset(req: IncomingMessage): Promise<Reply> {
      const body = await readObject(req);
      if (typeof body.email !== "string") return hydraError(400, 'The "email" field is required and must be a string.');
      if (!allowedLinkUrl(body.resetUrl, settings.linkOrigins)) return originRefused("resetUrl");
      const email = body.email;
      const resetUrl = body.resetUrl as string;
      const lang = requestedLanguage(req, body);
      return {
        status: 204,
        after: async () => {
          const user = store.findUserByEmail(email);
          if (user) await mailLink("reset", user, resetUrl, lang);
        },
      };
    },

    /** `GET /forgot-password/<token>`: the token's user and expiry, or 404 (unknown, spent or expired alike). */
    inspectResetToken(_req: IncomingMessage, token: string): Reply {
      const row = liveToken(token, "reset");
      const user = row && store.findUserById(row.user_id);
      if (!row || !user) return notFound();
      return {
        status: 200,
        contentType: LD_JSON,
        body: {
          "@context": "/api/contexts/PasswordToken",
          "@type": "PasswordToken",
          expiresAt: new Date(row.expires_at * 1000).toISOString(),
          user: { "@id": `/api/users/${user.id}`, "@type": "User", email: user.email },
        },
      };
    },

    /** `POST /forgot-password/<token>` `{password}`: 204, the password changed and every refresh token revoked. */
    async resetPassword(req: IncomingMessage, token: string): Promise<Reply> {
      const body = await readObject(req);
      // A refused password leaves the token unspent: the user can try another one with the same link.
      const violations = validatePassword(body.password, settings.minPasswordLength);
      if (violations.length > 0) return violationReply(violations);
      if (!LINK_TOKEN_FORMAT.test(token)) return notFound();
      const passwordHash = await hashPassword(body.password as string);
      const changed = store.transaction(() => {
        const row = store.spendLinkToken(hashLinkToken(token), "reset", nowSeconds());
        if (!row) return false;
        store.setPassword(row.user_id, passwordHash);
        // The link reached the mailbox, which proves the address as a verification link would.
        store.setVerified(row.user_id);
        store.deleteRefreshTokensOfUser(row.user_id);
        return true;
      });
      return changed ? { status: 204 } : notFound();
    },

    /** `POST /api/email_verifications` `{token}`: 200 the verified user, or 404. */
    async verifyEmail(req: IncomingMessage): Promise<Reply> {
      const body = await readObject(req);
      if (typeof body.token !== "string") return hydraError(400, 'The "token" field is required and must be a string.');
      const token = body.token;
      if (!LINK_TOKEN_FORMAT.test(token)) return notFound();
      const user = store.transaction(() => {
        const row = store.spendLinkToken(hashLinkToken(token), "verify", nowSeconds());
        if (!row) return undefined;
        store.setVerified(row.user_id);
        return store.findUserById(row.user_id);
      });
      return user ? { status: 200, contentType: LD_JSON, body: userBody(user) } : notFound();
    },

    /** `POST /api/email_verification_requests` `{email, verifyUrl}`: 204 whatever the account. */
    async requestVerification(req: IncomingMessage): Promise<Reply> {
      const body = await readObject(req);
      if (typeof body.email !== "string") return hydraError(400, 'The "email" field is required and must be a string.');
      if (!allowedLinkUrl(body.verifyUrl, settings.linkOrigins)) return originRefused("verifyUrl");
      const email = body.email;
      const verifyUrl = body.verifyUrl as string;
      const lang = requestedLanguage(req, body);
      return {
        status: 204,
        after: async () => {
          const user = store.findUserByEmail(email);
          if (user && user.verified !== 1) await mailLink("verify", user, verifyUrl, lang);
        },
      };
    },

    /** `PATCH /api/users/<id>` (merge-patch) `{currentPassword, password, keepOtherTokens?}` with REFRESH-TOKEN. */
    async changePassword(req: IncomingMessage, id: string): Promise<Reply> {
      const { user, token } = authenticatedCaller(store, req, id);
      const body = await readObject(req, MERGE_PATCH_TYPES);
      if (typeof body.currentPassword !== "string" || (body.keepOtherTokens !== undefined && typeof body.keepOtherTokens !== "boolean")) {
        return hydraError(400, 'The "currentPassword" field is required and must be a string; "keepOtherTokens" a boolean.');
      }
      if (!(await verifyPassword(body.currentPassword, user.password_hash))) {
        return hydraError(403, "The current password is not correct.", undefined, "invalid_current_password");
      }
      const violations = validatePassword(body.password, settings.minPasswordLength);
      if (violations.length > 0) return violationReply(violations);
      const passwordHash = await hashPassword(body.password as string);
      store.transaction(() => {
        store.setPassword(user.id, passwordHash);
        if (body.keepOtherTokens !== true) store.deleteRefreshTokensOfUser(user.id, token.id);
      });
      return { status: 200, contentType: LD_JSON, body: userBody(store.findUserById(user.id)!) };
    },
  };
}
