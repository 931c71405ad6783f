// Issues the short-lived RS256 access JWT that upstream services verify against the JWKS.
import { SignJWT } from "jose";
import type { SigningKey } from "./signing-key.js";

export interface JwtSettings {
  issuer: string;
  audience: string;
  lifetimeSeconds: number;
}

/** A JWT with iss, aud, iat, nbf, exp = iat + lifetime, sub (the user id), email and email_verified; header kid. */
export function issueJwt(
  key: SigningKey,
  settings: JwtSettings,
  user: { id: string; email: string; verified?: number },
  now = Date.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ email: user.email, email_verified: user.verified === 1 })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(user.id)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + settings.lifetimeSeconds)
    .sign(key.privateKey);
}
