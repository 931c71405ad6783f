// A software WebAuthn authenticator for server tests: what a browser plus a platform authenticator would answer to
// navigator.credentials.create() and .get(), as the Level 3 JSON (`RegistrationResponseJSON`,
// `AuthenticationResponseJSON`), made with node:crypto. ES256 keys (P-256), "none" attestation, discoverable
// credentials (the user handle kept), a signature counter, and the UP/UV/BE/BS flags. Every field a ceremony checks
// can be bent per call (origin, RP id, challenge, credential, counter) to make the responses an attacker would send.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";

// ---------------------------------------------------------------------------------------------
// The few CBOR items an attestation object and a COSE key need (RFC 8949): unsigned and negative integers, byte
// strings, text strings and maps, in the order given (both are small and canonical enough for a verifier).

type Cbor = number | string | Uint8Array | Map<number | string, Cbor>;

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = (major << 5) | 26;
  out.writeUInt32BE(length, 1);
  return out;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const text = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  const parts = [head(5, value.size)];
  for (const [key, item] of value) parts.push(cbor(key), cbor(item));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------

const sha256 = (data: Buffer | string): Buffer => createHash("sha256").update(data).digest();
const b64url = (data: Buffer | Uint8Array): string => Buffer.from(data).toString("base64url");

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface StoredCredential {
  /** base64url */
  id: string;
  rpId: string;
  /** base64url, as the creation options gave it. */
  userHandle: string;
  privateKey: KeyObject;
  cosePublicKey: Buffer;
  counter: number;
}

export interface AuthenticatorOptions {
  /** The page's origin, written into clientDataJSON (default http://localhost:3000). */
  origin?: string;
  /** Whether the authenticator verifies the user (UV flag); default true. */
  userVerification?: boolean;
  /** Whether credentials are synced passkeys (BE and BS flags); default false. */
  backedUp?: boolean;
  /** Whether the signature counter counts (true) or stays 0 like many synced passkeys (false); default true. */
  counts?: boolean;
}

/** What a test may bend in one ceremony. */
export interface CeremonyOverrides {
  origin?: string;
  /** The RP id whose hash goes into authenticatorData (default: the options' rpId). */
  rpId?: string;
  /** The challenge written into clientDataJSON (default: the options'). */
  challenge?: string;
  /** The clientDataJSON `type` (default webauthn.create / webauthn.get). */
  type?: string;
}

export class SoftwareAuthenticator {
  readonly credentials: StoredCredential[] = [];
  private readonly origin: string;
  private readonly options: Required<Omit<AuthenticatorOptions, "origin">>;

  constructor(options: AuthenticatorOptions = {}) {
    this.origin = options.origin ?? "http://localhost:3000";
    this.options = {
      userVerification: options.userVerification ?? true,
      backedUp: options.backedUp ?? false,
      counts: options.counts ?? true,
    };
  }

  private flags(extra: number): number {
    return FLAG_UP | (this.options.userVerification ? FLAG_UV : 0) | (this.options.backedUp ? FLAG_BE | FLAG_BS : 0) | extra;
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }

  /** navigator.credentials.create(): a new discoverable credential. Refuses (throws) when it holds an excluded one. */
  create(options: PublicKeyCredentialCreationOptionsJSON, overrides: CeremonyOverrides = {}): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    if ((options.excludeCredentials ?? []).some((excluded) => this.credentials.some((held) => held.id === excluded.id))) {
      throw new Error("InvalidStateError: this authenticator already holds a credential of this user");
    }
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cosePublicKey = cbor(
      new Map<number, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]),
    );
    const credentialId = randomBytes(32);
    const credential: StoredCredential = {
      id: b64url(credentialId),
      rpId,
      userHandle: options.user.id,
      privateKey,
      cosePublicKey,
      counter: 0,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      sha256(overrides.rpId ?? rpId),
      Buffer.from([this.flags(FLAG_AT)]),
      Buffer.alloc(4), // signCount 0
      Buffer.alloc(16), // AAGUID: none
      idLength,
      credentialId,
      cosePublicKey,
    ]);
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    this.credentials.push(credential);
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: b64url(this.clientData("webauthn.create", options.challenge, overrides)),
        attestationObject: b64url(attestationObject),
        transports: ["internal", "hybrid"],
      },
    };
  }

  /**
   * navigator.credentials.get(): an assertion by `credential` (default: the newest one for the options' RP id, as a
   * discoverable credential is picked from autofill).
   */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides: CeremonyOverrides & { credential?: StoredCredential } = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const credential = overrides.credential ?? this.credentials.filter((one) => one.rpId === rpId).at(-1);
    if (!credential) throw new Error("NotAllowedError: no credential for this RP id");
    if (this.options.counts) credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter);
    const authData = Buffer.concat([sha256(overrides.rpId ?? rpId), Buffer.from([this.flags(0)]), counter]);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, overrides);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
    };
  }
}
