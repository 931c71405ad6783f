// The texts of the reference auth service's mails (password reset, e-mail verification), plain text and HTML, in
// English and Dutch; a mail goes out in the first language of the request (`lang`, then Accept-Language), else the
// user's own (kept from the sign-up), else English. The HTML escapes everything it shows.

export type MailKind = "reset" | "verify";
export type MailLanguage = "en" | "nl";

export const MAIL_LANGUAGES: readonly MailLanguage[] = ["en", "nl"];

interface Texts {
  subject: string;
  intro: (email: string) => string;
  action: string;
  outro: string;
}

const TEXTS: Record<MailLanguage, Record<MailKind, Texts>> = {
  en: {
    reset: {
      subject: "Reset your password",
      intro: (email) =>
        `Someone asked to reset the password of the account ${email}. To choose a new password, open this link within 30 minutes:`,
      action: "Choose a new password",
      outro: "If this was not you, ignore this mail: your password stays as it is.",
    },
    verify: {
      subject: "Confirm your e-mail address",
      intro: (email) => `Please confirm that ${email} is your e-mail address by opening this link within 24 hours:`,
      action: "Confirm my e-mail address",
      outro: "If you did not create an account, ignore this mail.",
    },
  },
  nl: {
    reset: {
      subject: "Stel je wachtwoord opnieuw in",
      intro: (email) =>
        `Iemand heeft gevraagd het wachtwoord van het account ${email} opnieuw in te stellen. Open binnen 30 minuten deze link om een nieuw wachtwoord te kiezen:`,
      action: "Kies een nieuw wachtwoord",
      outro: "Was jij dit niet? Negeer dan deze e-mail: je wachtwoord blijft zoals het is.",
    },
    verify: {
      subject: "Bevestig je e-mailadres",
      intro: (email) => `Bevestig dat ${email} jouw e-mailadres is door binnen 24 uur deze link te openen:`,
      action: "Bevestig mijn e-mailadres",
      outro: "Heb je geen account aangemaakt? Negeer dan deze e-mail.",
    },
  },
};

/**
 * The first supported language among the candidates, each a BCP 47 tag or an Accept-Language value
 * (`nl-BE,nl;q=0.9,en;q=0.8`, taken by its q order); a region falls back to its language.
 */
export function pickLanguage(...candidates: Array<string | null | undefined>): MailLanguage {
  for (const candidate of candidates) {
    if (typeof candidate !== "string" || candidate.length > 256) continue;
    const ranges = candidate
      .split(",")
      .map((part, index) => {
        const [tag = "", ...params] = part.trim().split(";");
        const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
        return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index };
      })
      .filter((range) => range.tag && range.q > 0)
      .sort((a, b) => b.q - a.q || a.index - b.index);
    for (const { tag } of ranges) {
      const language = tag.split("-")[0] as MailLanguage;
      if (MAIL_LANGUAGES.includes(language)) return language;
    }
  }
  return "en";
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

export function composeMail(kind: MailKind, lang: MailLanguage, email: string, link: string): ComposedMail {
  const texts = TEXTS[lang][kind];
  const text = `${texts.intro(email)}\n\n${link}\n\n${texts.outro}\n`;
  const html = [
    "<!doctype html>",
    `<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(texts.subject)}</title></head>`,
    '<body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 36rem">',
    `<p>${escapeHtml(texts.intro(email))}</p>`,
    `<p><a href="${escapeHtml(link)}">${escapeHtml(texts.action)}</a></p>`,
    `<p style="word-break: break-all; color: #555">${escapeHtml(link)}</p>`,
    `<p>${escapeHtml(texts.outro)}</p>`,
    "</body></html>",
  ].join("\n");
  return { subject: texts.subject, text, html };
}
