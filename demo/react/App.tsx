// The React 19 host page: the four tags in JSX (typed by "auth-elements/react"), the session state
// from the shared store, `onauth-*` props feeding the event log, and the theme and language switches.
import type {} from "auth-elements/react";
import { useCallback, useEffect, useState } from "react";
import { describeEvent } from "../shared/event-log.js";
import { DEMO_PAGES, pageName } from "../shared/pages.js";
import { applyLang, applyTheme, initialLang, isTheme, THEME_TEXT, THEMES, type Theme } from "../shared/preferences.js";
import { formatTime, isLang, LANG_NAMES, LANGS, statusText, text, type Lang, type TextKey } from "../shared/texts.js";
import { NotesPanel } from "./NotesPanel.js";
import { useSession } from "./use-session.js";

export function App() {
  const state = useSession();
  const [lang, setLang] = useState<Lang>(initialLang);
  const [theme, setTheme] = useState<Theme>("default");
  const [events, setEvents] = useState<{ id: number; line: string }[]>([]);
  const t = (key: TextKey) => text(lang, key);

  useEffect(() => applyLang(lang), [lang]);
  useEffect(() => applyTheme(theme), [theme]);

  const log = useCallback(
    (event: Event) => setEvents((lines) => [{ id: (lines[0]?.id ?? 0) + 1, line: describeEvent(event) }, ...lines].slice(0, 5)),
    [],
  );
  // The store's own event is fired on `document`, not on an element.
  useEffect(() => {
    document.addEventListener("auth-session-expired", log);
    return () => document.removeEventListener("auth-session-expired", log);
  }, [log]);

  return (
    <>
      <header>
        <h1>{t("title")} · React 19</h1>
        <nav aria-label={t("hostPages")}>
          <ul>
            {DEMO_PAGES.map((page) => (
              <li key={page.href}>
                <a href={page.href} aria-current={page.href === "/react/" ? "page" : undefined}>
                  {pageName(lang, page)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="settings" role="group" aria-label={t("settings")}>
          <label>
            <span>{t("theme")}</span>
            <select id="theme" value={theme} onChange={(event) => isTheme(event.target.value) && setTheme(event.target.value)}>
              {THEMES.map((name) => (
                <option key={name} value={name}>
                  {t(THEME_TEXT[name])}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>{t("language")}</span>
            <select id="lang" value={lang} onChange={(event) => isLang(event.target.value) && setLang(event.target.value)}>
              {LANGS.map((code) => (
                <option key={code} value={code} lang={code}>
                  {LANG_NAMES[code]}
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>

      <main>
        <section aria-labelledby="session-heading">
          <h2 id="session-heading">{t("sessionHeading")}</h2>
          <p>{t("sessionIntro")}</p>
          <dl>
            <dt>{t("status")}</dt>
            <dd id="session-status">{statusText(lang, state.status)}</dd>
            <dt>{t("user")}</dt>
            <dd id="session-user">{state.user?.email ?? t("nobody")}</dd>
            <dt>{t("sessionEnds")}</dt>
            <dd id="session-expires">{formatTime(lang, state.expiresAt)}</dd>
          </dl>
          <h2 id="events-heading">{t("eventsHeading")}</h2>
          <div role="log" aria-labelledby="events-heading">
            <ol id="event-log">
              {events.map(({ id, line }) => (
                <li key={id}>{line}</li>
              ))}
            </ol>
          </div>
        </section>

        <auth-gate>
          <section aria-labelledby="members-heading">
            <h2 id="members-heading">{t("membersHeading")}</h2>
            <p>
              {t("signedInAs")} <strong id="members-email">{state.user?.email}</strong>.
            </p>
            <auth-logout onauth-logout={log} onauth-error={log} />
            {state.status === "authenticated" && <NotesPanel lang={lang} />}
          </section>

          <section slot="anonymous" className="forms">
            <div>
              <h2>{t("signInHeading")}</h2>
              <auth-login reset-url="/reset-password" onauth-login={log} onauth-error={log} />
            </div>
            <div>
              <h2>{t("signUpHeading")}</h2>
              <auth-signup onauth-signup={log} onauth-error={log} />
            </div>
          </section>

          <p slot="pending">{t("pending")}</p>
        </auth-gate>
      </main>

      <footer>
        <p>{t("footer")}</p>
      </footer>
    </>
  );
}
