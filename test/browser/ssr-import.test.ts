// The browser bundle in Node, as server-side rendering frameworks load it: importing must not
// throw or keep the process alive (nor load the newer elements' chunk), and the store must be
// usable without a DOM.
// Needs a built bundle: `npm run build:elements` runs before this in `npm test`.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const bundle = new URL("../../dist/auth-elements.js", import.meta.url);

describe("dist/auth-elements.js without a DOM", () => {
  it("imports, exports the API and reports a pending session", async () => {
    expect(existsSync(bundle), "dist/auth-elements.js is missing: run `npm run build:elements`").toBe(true);
    expect(typeof (globalThis as { document?: unknown }).document).toBe("undefined");
    const module = await import(bundle.href);
    const names = ["session", "config", "login", "signup", "logout", "refreshSession", "apiFetch", "configure", "messages"];
    names.push(
      "requestPasswordReset",
      "resetPassword",
      "verifyEmail",
      "resendVerification",
      "changePassword",
      "listSessions",
      "revokeSession",
      "loginWithPasskey",
      "registerPasskey",
      "listPasskeys",
      "removePasskey",
    );
    // (Besides internal bindings under one- or two-letter names, for the chunks.)
    expect(
      Object.keys(module)
        .filter((name) => name.length > 2)
        .sort(),
    ).toEqual(names.sort());
    expect(module.session.get()).toEqual({ status: "pending", user: null, expiresAt: null });
    // Nothing fetches its config, and no element chunk loads, without a DOM.
    expect(module.config.get()).toBe(null);
    module.config.listen(() => {});
    expect(module.config.get()).toBe(null);
    expect(() => module.configure({ endpoint: "/auth", messages: { en: { login_submit: "Log in" } } })).not.toThrow();
  });
});
