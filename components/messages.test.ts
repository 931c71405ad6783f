import { expect, fixture, html } from "@open-wc/testing";
import { configure, messages } from "../dist/auth-elements.js";
import { rendered, until } from "../test/browser/helpers.js";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe("messages", () => {
  const locales = Object.keys(messages) as Array<keyof typeof messages>;

  it("ships English and Dutch", () => {
    expect(locales).to.have.members(["en", "nl"]);
  });

  for (const locale of ["nl"] as const) {
    it(`${locale} has every key of en, with the same placeholders, and no others`, () => {
      const missing = Object.keys(messages.en).filter((key) => !(key in messages[locale]));
      expect(missing, `keys missing from ${locale}`).to.deep.equal([]);
      const extra = Object.keys(messages[locale]).filter((key) => !(key in messages.en));
      expect(extra, `keys only in ${locale}`).to.deep.equal([]);
      for (const [key, text] of Object.entries(messages.en)) {
        const translated = messages[locale][key as keyof typeof messages.en];
        expect(translated, `${locale}.${key}`).to.be.a("string").and.not.equal("");
        expect(placeholders(translated), `${locale}.${key} placeholders`).to.deep.equal(placeholders(text));
      }
    });
  }

  it("has a text for every error code the session server's /auth routes return", () => {
    const codes = [
      "invalid_credentials",
      "validation_failed",
      "rate_limited",
      "auth_unavailable",
      "auth_timeout",
      "session_store_unavailable",
      "bad_request",
      "payload_too_large",
      "unsupported_media_type",
      "csrf_rejected",
      "unauthenticated",
      "session_expired",
      "internal_error",
    ];
    for (const code of codes) expect(messages.en, code).to.have.property(code);
  });

  it("are read-only", () => {
    expect(Object.isFrozen(messages.en) && Object.isFrozen(messages.nl)).to.equal(true);
  });

  it("can be overridden and extended with configure({messages})", async () => {
    const element = await rendered(await fixture<HTMLElement>(html`<auth-login></auth-login>`));
    const button = element.querySelector("button")!;
    expect(button.textContent!.trim()).to.equal("Sign in");
    configure({ messages: { en: { login_submit: "Log in" } } });
    await until(() => button.textContent!.trim() === "Log in", 1000, "the overridden label");

    configure({ messages: { de: { login_submit: "Anmelden" } } });
    element.setAttribute("lang", "de-AT");
    await until(() => button.textContent!.trim() === "Anmelden", 1000, "the added language");
    // Keys a new language lacks fall back to English.
    expect(element.querySelector("label")!.textContent!.trim()).to.equal("E-mail");
  });
});
