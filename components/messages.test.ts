import { expect, fixture, html } from "@open-wc/testing";
import { configure, messages } from "../dist/auth-elements.js";
import { openFrame, rendered, until } from "../test/browser/helpers.js";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

/** Every English text: the entry's, the newer elements' (in their chunk) and a passkey sign-in's. */
async function allEnglish(): Promise<Record<string, string>> {
  const chunk = (await import("/dist/chunks/account-elements.js" as string)) as Record<
    "accountEnglish" | "passkeyEnglish",
    Record<string, string>
  >;
  return { ...messages.en, ...chunk.accountEnglish, ...chunk.passkeyEnglish };
}

/** The resources a frame's document fetched whose URL contains `part`. */
const fetched = (frame: HTMLIFrameElement, part: string) =>
  frame.contentWindow!.performance.getEntriesByType("resource").filter((entry) => entry.name.includes(part));

describe("messages", () => {
  it("build English in and load Dutch on demand (dist/locales/nl.js)", async () => {
    expect(Object.keys(messages)).to.deep.equal(["en"]);
    const nl = ((await import("/dist/locales/nl.js" as string)) as { default: Record<string, string> }).default;
    expect(nl).to.be.an("object");
  });

  for (const locale of ["nl"]) {
    it(`${locale} has every key of English (the entry's and the newer elements'), with the same placeholders, and no others`, async () => {
      const en = await allEnglish();
      const translated = ((await import(`/dist/locales/${locale}.js`)) as { default: Record<string, string> }).default;
      expect(
        Object.keys(en).filter((key) => !(key in translated)),
        `keys missing from ${locale}`,
      ).to.deep.equal([]);
      expect(
        Object.keys(translated).filter((key) => !(key in en)),
        `keys only in ${locale}`,
      ).to.deep.equal([]);
      for (const [key, text] of Object.entries(en)) {
        expect(translated[key], `${locale}.${key}`).to.be.a("string").and.not.equal("");
        expect(placeholders(translated[key]!), `${locale}.${key} placeholders`).to.deep.equal(placeholders(text));
      }
    });
  }

  it("have a text for every error code the session server's /auth routes return", async () => {
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
      "email_not_verified",
    ];
    for (const code of codes) expect(messages.en, code).to.have.property(code);
    // The codes only the newer elements' routes return come with their chunk.
    const en = await allEnglish();
    for (const code of ["reset_token_invalid", "verification_token_invalid", "not_found", "passkey_invalid"])
      expect(en, code).to.have.property(code);
  });

  it("are read-only", () => {
    expect(Object.isFrozen(messages.en)).to.equal(true);
  });

  it("speak Dutch once its module is in, fetched once for every element in Dutch", async () => {
    const frame = await openFrame("/test/browser/tab.html?element=auth-login&lang=nl");
    const page = frame.contentDocument!;
    const first = await rendered(page.querySelector("auth-login")!);
    const second = page.createElement("auth-signup");
    second.lang = "nl-BE"; // a region speaks its language
    page.body.append(second);
    await rendered(second);
    const label = (element: Element) => element.querySelector('button[type="submit"]')!.textContent!.trim();
    await until(() => label(first) === "Inloggen" && label(second) === "Account aanmaken", 3000, "Dutch labels");
    expect(fetched(frame, "/dist/locales/nl.js")).to.have.length(1);
    frame.remove();
  });

  it("can be overridden and extended with configure({messages}), over a locale module too", async () => {
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

    configure({ messages: { nl: { login_submit: "Aanmelden" } } });
    element.setAttribute("lang", "nl");
    await until(() => button.textContent!.trim() === "Aanmelden", 2000, "the override of Dutch");
    await until(() => element.querySelector("label")!.textContent!.trim() === "E-mailadres", 2000, "the rest in Dutch");
  });
});
