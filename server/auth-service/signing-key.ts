// The RS256 signing key: generated on first start, kept as a private JWK in <dataDir>/auth-service-signing-key.json.
// Threat model: the file is the service's identity; it is created 0600 and atomically (never half-written, never
// replaced by a second process starting at the same moment), and only the public half ever leaves this module.
import { randomBytes } from "node:crypto";
import { chmod, link, open, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";

export const SIGNING_KEY_FILE = "auth-service-signing-key.json";

export interface SigningKey {
  privateKey: CryptoKey;
  kid: string;
  /** The public key as published in the JWKS: kty, n, e, kid, alg, use. */
  publicJwk: JWK;
}

async function fromPrivateJwk(jwk: JWK, file: string): Promise<SigningKey> {
  if (jwk.kty !== "RSA" || typeof jwk.n !== "string" || typeof jwk.e !== "string" || typeof jwk.d !== "string") {
    throw new Error(`${file} does not hold a private RSA JWK`);
  }
  const privateKey = (await importJWK({ ...jwk, alg: "RS256" }, "RS256")) as CryptoKey;
  const kid = await calculateJwkThumbprint({ kty: "RSA", n: jwk.n, e: jwk.e });
  return { privateKey, kid, publicJwk: { kty: "RSA", n: jwk.n, e: jwk.e, kid, alg: "RS256", use: "sig" } };
}

async function readExisting(file: string): Promise<SigningKey> {
  const info = await stat(file);
  // Someone loosened the permissions by hand: tighten them again rather than run with a readable key.
  if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
  return fromPrivateJwk(JSON.parse(await readFile(file, "utf8")) as JWK, file);
}

/** Loads the key from `dataDir`, or creates it when there is none yet. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  try {
    return await readExisting(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }

  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const temp = path.join(dataDir, `.${SIGNING_KEY_FILE}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ ...jwk, alg: "RS256", use: "sig" })}\n`, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // link() fails when the target exists, so a concurrent first start keeps whichever key landed first.
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
  return readExisting(file);
}
