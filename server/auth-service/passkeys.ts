// Passkeys (auth-api-contract.md, extension 8): the reference auth service as the WebAuthn relying party, with
// @simplewebauthn/server doing the verification. Registration options, registration, the caller's list, removal, and
// the sign-in options and assertion check that POST /api/refresh_tokens {"passkey"} uses.
// Threat model:
// - Every challenge is made here, kept in the database for CHALLENGE_LIFETIME_SECONDS, bound to its ceremony (and, for
//   a registration, to the user who asked), and spent by its first use whatever the outcome: a replayed or foreign
//   response finds nothing to match. The challenge is read from the response's clientDataJSON only to find its row;
//   the library then checks that the signed client data carries exactly it, with an allowed origin, the RP id's hash,
//   the user-presence flag and a valid signature by the stored public key, and that the counter moved forward.
// - Discoverable credentials (residentKey required), user verification preferred: the authenticator decides whether
//   it can verify the user; a passkey without UV still proves possession (the contract's "preferred").
// - Anything that does not verify is one answer: 401 for a sign-in (unknown credential, bad signature, spent,
//   expired or foreign challenge, wrong origin or RP id), 400 for a registration; a malformed response never throws
//   past this module (the library's exceptions are refusals, not 500s).
// - Only the owner of a refresh token sees or removes their passkeys; another user's passkey id is a 404 like an
//   unknown one.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { nowSeconds, tokenOwner } from "./caller.js";
import { isPlainObject, readObject } from "./request-body.js";
import { LD_JSON, hydraError, type Reply } from "./responses.js";
import type { AuthStore, ChallengeKind, PasskeyRow, UserRow } from "./store.js";

/** How long a ceremony may take, and how long its challenge lives: five minutes. */
export const CHALLENGE_LIFETIME_SECONDS = 300;
const MAX_NAME_LENGTH = 64;
const DEFAULT_NAME = "Passkey";
const TRANSPORTS: ReadonlySet<string> = new Set(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]);

export interface PasskeySettings {
  store: AuthStore;
  /** WEBAUTHN_RP_ID. */
  rpId: string;
  /** The name authenticators show for this site; default the RP id. */
  rpName: string;
  /** WEBAUTHN_ORIGINS. */
  origins: readonly string[];
}

/** The contract's passkey resource. */
export function passkeyBody(row: PasskeyRow): Record<string, unknown> {
  return {
    "@context": "/api/contexts/Passkey",
    "@id": `/api/passkeys/${row.id}`,
    "@type": "Passkey",
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** The user handle a credential carries: the user's id as UTF-8 bytes (no e-mail, nothing personal). */
const userHandleOf = (user: UserRow): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(user.id, "utf8"));

const isString = (value: unknown, max = 16_384): value is string => typeof value === "string" && value.length > 0 && value.length <= max;

/**
 * The challenge a response's clientDataJSON names, or undefined when the response is not shaped like one of its
 * ceremony (`fields`: the base64url strings its `response` must hold). Checking the signature is the library's job.
 */
function claimedChallenge(credential: unknown, fields: readonly string[]): string | undefined {
  if (!isPlainObject(credential) || !isString(credential.id, 1024) || !isString(credential.rawId, 1024)) return undefined;
  if (credential.type !== "public-key" || !isPlainObject(credential.response)) return undefined;
  const response = credential.response;
  if (!fields.every((field) => isString(response[field], 65_536))) return undefined;
  try {
    const clientData = JSON.parse(Buffer.from(response.clientDataJSON as string, "base64url").toString("utf8")) as unknown;
    const challenge = isPlainObject(clientData) ? clientData.challenge : undefined;
    return isString(challenge, 512) ? challenge : undefined;
  } catch {
    return undefined;
  }
}

function transportsOf(credential: unknown): AuthenticatorTransportFuture[] | undefined {
  const reported = isPlainObject(credential) && isPlainObject(credential.response) ? credential.response.transports : undefined;
  if (!Array.isArray(reported)) return undefined;
  return reported.filter((t): t is AuthenticatorTransportFuture => typeof t === "string" && TRANSPORTS.has(t)).slice(0, TRANSPORTS.size);
}

function storedTransports(row: PasskeyRow): AuthenticatorTransportFuture[] | undefined {
  if (row.transports === null) return undefined;
  try {
    const list = JSON.parse(row.transports) as unknown;
    return Array.isArray(list)
      ? list.filter((t): t is AuthenticatorTransportFuture => typeof t === "string" && TRANSPORTS.has(t))
      : undefined;
  } catch {
    return undefined;
  }
}

const notVerified = (): Reply => hydraError(400, "The passkey could not be verified.");

export function createPasskeyHandlers(settings: PasskeySettings) {
  const { store, rpId } = settings;
  const origins = [...settings.origins];

  function keepChallenge(value: string, kind: ChallengeKind, userId: string | null): void {
    const now = nowSeconds();
    store.deleteExpiredChallenges(now);
    store.createChallenge({ value, kind, userId, expiresAt: now + CHALLENGE_LIFETIME_SECONDS });
  }

  return {
    /** `POST /api/passkey_registration_options` (REFRESH-TOKEN): creation options for a new passkey of the caller. */
    async registrationOptions(req: IncomingMessage): Promise<Reply> {
      const user = tokenOwner(store, req);
      const options = await generateRegistrationOptions({
        rpName: settings.rpName,
        rpID: rpId,
        userName: user.email,
        userDisplayName: user.email,
        userID: userHandleOf(user),
        timeout: CHALLENGE_LIFETIME_SECONDS * 1000,
        attestationType: "none",
        // The user's passkeys: an authenticator that holds one already says so instead of making a second.
        excludeCredentials: store.passkeysOf(user.id).map((row) => {
          const transports = storedTransports(row);
          return { id: row.credential_id, ...(transports ? { transports } : {}) };
        }),
        authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "preferred" },
      });
      keepChallenge(options.challenge, "registration", user.id);
      return { status: 200, contentType: LD_JSON, body: options };
    },

    /** `POST /api/passkeys` (REFRESH-TOKEN) `{credential, name}`: 201 the new passkey; 400 when it does not verify. */
    async register(req: IncomingMessage): Promise<Reply> {
      const user = tokenOwner(store, req);
      const body = await readObject(req);
      if (body.name !== undefined && (typeof body.name !== "string" || body.name.trim().length > MAX_NAME_LENGTH)) {
        return hydraError(400, `The "name" field must be a string of at most ${MAX_NAME_LENGTH} characters.`);
      }
      const name = typeof body.name === "string" && body.name.trim() !== "" ? body.name.trim() : DEFAULT_NAME;
      const challenge = claimedChallenge(body.credential, ["clientDataJSON", "attestationObject"]);
      if (challenge === undefined || !store.spendChallenge(challenge, "registration", user.id, nowSeconds())) return notVerified();
      let credential;
      try {
        const result = await verifyRegistrationResponse({
          response: body.credential as unknown as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: origins,
          expectedRPID: rpId,
          requireUserVerification: false,
        });
        if (!result.verified) return notVerified();
        credential = result.registrationInfo;
      } catch {
        return notVerified();
      }
      if (store.findPasskeyByCredentialId(credential.credential.id)) return notVerified();
      let row: PasskeyRow;
      try {
        row = store.createPasskey({
          id: randomUUID(),
          userId: user.id,
          credentialId: credential.credential.id,
          publicKey: credential.credential.publicKey,
          counter: credential.credential.counter,
          transports: transportsOf(body.credential),
          deviceType: credential.credentialDeviceType,
          backedUp: credential.credentialBackedUp,
          name,
        });
      } catch (error) {
        // The same credential registered twice at once: the UNIQUE index lets one through.
        if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") return notVerified();
        throw error;
      }
      return { status: 201, contentType: LD_JSON, headers: { Location: `/api/passkeys/${row.id}` }, body: passkeyBody(row) };
    },

    /** `GET /api/passkeys` (REFRESH-TOKEN): the caller's passkeys, as a collection (API Platform 4's `member`). */
    list(req: IncomingMessage): Reply {
      const user = tokenOwner(store, req);
      const member = store.passkeysOf(user.id).map(passkeyBody);
      return {
        status: 200,
        contentType: LD_JSON,
        body: { "@context": "/api/contexts/Passkey", "@id": "/api/passkeys", "@type": "Collection", totalItems: member.length, member },
      };
    },

    /** `DELETE /api/passkeys/<id>` (REFRESH-TOKEN): 204; 404 when it is not one of the caller's. */
    remove(req: IncomingMessage, id: string): Reply {
      const user = tokenOwner(store, req);
      return store.deletePasskey(id, user.id) ? { status: 204 } : hydraError(404, "Not Found");
    },

    /** `POST /api/passkey_authentication_options`: request options for a discoverable credential (no allowCredentials). */
    async authenticationOptions(): Promise<Reply> {
      const options = await generateAuthenticationOptions({
        rpID: rpId,
        userVerification: "preferred",
        timeout: CHALLENGE_LIFETIME_SECONDS * 1000,
      });
      keepChallenge(options.challenge, "authentication", null);
      return { status: 200, contentType: LD_JSON, body: options };
    },

    /**
     * The user an assertion (`POST /api/refresh_tokens {"passkey"}`) signs in, or undefined for anything that does
     * not verify. The challenge is spent first, whatever comes next.
     */
    async authenticate(assertion: unknown): Promise<UserRow | undefined> {
      const challenge = claimedChallenge(assertion, ["clientDataJSON", "authenticatorData", "signature"]);
      if (challenge === undefined || !store.spendChallenge(challenge, "authentication", null, nowSeconds())) return undefined;
      const response = assertion as AuthenticationResponseJSON;
      const row = store.findPasskeyByCredentialId(response.id);
      const user = row && store.findUserById(row.user_id);
      if (!row || !user) return undefined;
      // A discoverable credential names its user: it must be the passkey's owner.
      const handle = response.response.userHandle;
      if (handle !== undefined && handle !== null && handle !== Buffer.from(userHandleOf(user)).toString("base64url")) return undefined;
      const transports = storedTransports(row);
      let info;
      try {
        const result = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: origins,
          expectedRPID: rpId,
          credential: {
            id: row.credential_id,
            publicKey: new Uint8Array(row.public_key),
            counter: row.counter,
            ...(transports ? { transports } : {}),
          },
          requireUserVerification: false,
        });
        if (!result.verified) return undefined;
        info = result.authenticationInfo;
      } catch {
        // The library throws for every kind of mismatch (origin, RP id, type, counter, malformed data): a refusal.
        return undefined;
      }
      store.markPasskeyUsed(row.id, { counter: info.newCounter, deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp });
      return user;
    },
  };
}
