import { expect, fixture, html } from "@open-wc/testing";
import { configure, messages } from "../dist/auth-elements.js";
import { callInFrame, openFrame, rendered, until } from "../test/browser/helpers.js";

/** Every language but English, each one module in dist/locales/. */
const LOCALES = ["nl", "de", "fr", "es", "pt-BR", "ar"];

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

/** Every English text: the entry's, the newer elements' (in their chunk) and a passkey sign-in's (in <auth-login>'s extras). */
async function allEnglish(): Promise<Record<string, string>> {
  const chunk = (await import("/dist/chunks/account-elements.js" as string)) as Record<"accountEnglish", Record<string, string>>;
  const extras = (await import("/dist/chunks/login-extras.js" as string)) as Record<"passkeyEnglish", Record<string, string>>;
  return { ...messages.en, ...chunk.accountEnglish, ...extras.passkeyEnglish };
}

/** The resources a frame's document fetched whose URL contains `part`. */
const fetched = (frame: HTMLIFrameElement, part: string) =>
  frame.contentWindow!.performance.getEntriesByType("resource").filter((entry) => entry.name.includes(part));

describe("messages", () => {
  it("build English in and load the other six languages on demand (dist/locales/<lang>.js)", async () => {
    expect(Object.keys(messages)).to.deep.equal(["en"]);
    for (const locale of LOCALES) {
      const table = ((await import(`/dist/locales/${locale}.js`)) as { default: Record<string, string> }).default;
      expect(table, locale).to.be.an("object");
    }
  });

  for (const locale of LOCALES) {
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
      // A sign-in with a provider that failed comes back as #auth_error=<code>.
      "oidc_denied",
      "oidc_failed",
      "oidc_unavailable",
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

  it("fall back from a region to its language (de-AT speaks German, pt and pt-PT Brazilian Portuguese), one module each", async () => {
    const frame = await openFrame("/test/browser/tab.html?element=auth-login&lang=pt-PT");
    const page = frame.contentDocument!;
    const portuguese = await rendered(page.querySelector("auth-login")!);
    const others = ["pt", "de-AT", "de"].map((lang) => {
      const element = page.createElement("auth-signup");
      element.lang = lang;
      page.body.append(element);
      return element;
    });
    const label = (element: Element) => element.querySelector('button[type="submit"]')?.textContent?.trim();
    await until(
      () => label(portuguese) === "Entrar" && label(others[0]!) === "Criar conta" && label(others[1]!) === "Konto erstellen",
      3000,
      "Portuguese and German labels",
    );
    expect(label(others[2]!)).to.equal("Konto erstellen");
    expect(fetched(frame, "/dist/locales/pt-BR.js")).to.have.length(1);
    expect(fetched(frame, "/dist/locales/de.js")).to.have.length(1);
    expect(fetched(frame, "/dist/locales/").map((entry) => new URL(entry.name).pathname)).to.have.members([
      "/dist/locales/pt-BR.js",
      "/dist/locales/de.js",
    ]);
    frame.remove();
  });

  it("need no module for a language the host registered whole with configure({messages})", async () => {
    const spanish = ((await import("/dist/locales/es.js" as string)) as { default: Record<string, string> }).default;
    const frame = await openFrame("/test/browser/tab.html");
    await callInFrame(frame, "configure", { messages: { es: { ...spanish, login_submit: "Entrar" } } });
    const page = frame.contentDocument!;
    const element = page.createElement("auth-login");
    element.lang = "es-MX";
    page.body.append(element);
    await rendered(element);
    await until(() => element.querySelector("button")!.textContent!.trim() === "Entrar", 2000, "the host's Spanish");
    expect(element.querySelector("label")!.textContent!.trim()).to.equal("Correo electrónico");
    expect(fetched(frame, "/dist/locales/")).to.have.length(0);
    frame.remove();
  });

  it("can be overridden and extended with configure({messages}), over a locale module too", async () => {
    const element = await rendered(await fixture<HTMLElement>(html`<auth-login></auth-login>`));
    const button = element.querySelector("button")!;
    expect(button.textContent!.trim()).to.equal("Sign in");
    configure({ messages: { en: { login_submit: "Log in" } } });
    await until(() => button.textContent!.trim() === "Log in", 1000, "the overridden label");

    configure({ messages: { it: { login_submit: "Accedi" } } });
    element.setAttribute("lang", "it-CH");
    await until(() => button.textContent!.trim() === "Accedi", 1000, "the added language");
    // Keys a new language lacks fall back to English.
    expect(element.querySelector("label")!.textContent!.trim()).to.equal("E-mail");

    configure({ messages: { nl: { login_submit: "Aanmelden" } } });
    element.setAttribute("lang", "nl");
    await until(() => button.textContent!.trim() === "Aanmelden", 2000, "the override of Dutch");
    await until(() => element.querySelector("label")!.textContent!.trim() === "E-mailadres", 2000, "the rest in Dutch");
  });
});
