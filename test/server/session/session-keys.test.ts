// session-keys.ts on its own: what a cookie id opens, and the sealing of tokens (security.md 35).
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { secretOf, sessionKeys, storeKeyOf } from "../../../server/session/session-keys.js";

const cookieId = (): string => randomBytes(24).toString("base64url");

describe("session keys", () => {
  it("security 35: the store key is derived one way from the cookie id, the same on every instance, and shares nothing with it", () => {
    const id = cookieId();
    const keys = sessionKeys(id);
    expect(keys.storeKey).toBe(storeKeyOf(id));
    expect(sessionKeys(id).storeKey).toBe(keys.storeKey);
    expect(keys.storeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.storeKey).not.toContain(id);
    for (let i = 0; i + 6 <= id.length; i++) expect(keys.storeKey.includes(id.slice(i, i + 6))).toBe(false);
    expect(storeKeyOf(cookieId())).not.toBe(keys.storeKey);
  });

  it("security 35: a sealed token opens only with its own cookie's key and for its own purpose; a changed byte opens nothing", () => {
    const id = cookieId();
    const token = randomBytes(64).toString("hex");
    const sealed = sessionKeys(id).secret.seal("session-tokens", { refreshToken: token });
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(token);
    expect(sessionKeys(id).secret.open("session-tokens", sealed)).toEqual({ refreshToken: token });
    // Sealed twice, two different texts (a fresh IV each time).
    expect(sessionKeys(id).secret.seal("session-tokens", { refreshToken: token })).not.toBe(sealed);
    expect(sessionKeys(cookieId()).secret.open("session-tokens", sealed)).toBeNull();
    expect(sessionKeys(id).secret.open("jwt", sealed)).toBeNull();
    // The store key as a key material (what a copy of the store offers) opens nothing either.
    expect(secretOf(sessionKeys(id).storeKey, "token key").open("session-tokens", sealed)).toBeNull();
    const bytes = Buffer.from(sealed.slice(3), "base64url");
    for (const at of [0, 12, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[at]! ^= 1;
      expect(sessionKeys(id).secret.open("session-tokens", `v1.${tampered.toString("base64url")}`)).toBeNull();
    }
    for (const junk of [null, undefined, 42, "", "v1.", "v2." + sealed.slice(3), "v1.AAAA", { sealed }]) {
      expect(sessionKeys(id).secret.open("session-tokens", junk)).toBeNull();
    }
  });

  it("a session secret never shows in JSON or inspection (logs)", () => {
    const { secret } = sessionKeys(cookieId());
    expect(JSON.stringify({ secret })).toBe('{"secret":"[session secret]"}');
    expect(inspect({ secret })).not.toMatch(/[0-9a-f]{16}|Buffer/);
  });
});
