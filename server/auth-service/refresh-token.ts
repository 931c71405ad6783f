// Refresh tokens: 64 random bytes shown once as hex; only their SHA-256 is stored.
// Threat model: a leaked database must not contain usable tokens; comparisons must not leak hash prefixes by timing.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A new token (128 hex characters) and the hash to store for it. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(64).toString("hex");
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time equality of two hex SHA-256 digests. */
export function refreshTokenHashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}
