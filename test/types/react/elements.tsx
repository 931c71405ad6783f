// Type test (tsc -p test/types/react): React 19 JSX with the auth-* tags, typed by
// "auth-elements/react". Every @ts-expect-error must be needed, so looser typings fail too.
// (TypeScript accepts any hyphenated JSX attribute, so only unhyphenated misspellings can fail.)
import type {} from "auth-elements/react";
import { useRef } from "react";
import {
  configure,
  type AuthErrorDetail,
  type AuthLoginElement,
  type AuthSessionRevokedDetail,
  type AuthSignupDetail,
  type User,
} from "auth-elements";
// A locale module, registered by the host itself (its bundler ships it): typed as every message.
import de from "auth-elements/locales/de";
import ptBR from "auth-elements/locales/pt-BR";

configure({ messages: { de, "pt-BR": ptBR } });
// @ts-expect-error a locale's texts are strings
const notANumber: number = de.login_submit;
void notANumber;

function showUser(user: User): string {
  return user.email;
}

function onSignup(event: CustomEvent<AuthSignupDetail>): void {
  // No user yet when the address must be confirmed first.
  if (!event.detail.verificationRequired && event.detail.user) showUser(event.detail.user);
}

function onRevoked(event: CustomEvent<AuthSessionRevokedDetail>): void {
  const ended: number = event.detail.revoked;
  void [ended, event.detail.id?.length, event.detail.current];
}

function onWrongDetail(event: CustomEvent<AuthErrorDetail>): void {
  void event.detail.code;
}

export function Elements() {
  const login = useRef<AuthLoginElement>(null);
  return (
    <>
      <auth-gate endpoint="/auth" redirect="/signed-out" id="gate" className="members">
        <p>members</p>
        <p slot="anonymous">guests</p>
        <p slot="pending">checking</p>
      </auth-gate>
      <auth-login
        ref={login}
        endpoint="/auth"
        redirect="/home"
        reset-url="/reset-password"
        lang="nl"
        onauth-login={(event) => showUser(event.detail.user)}
        onauth-error={(event) => void `${event.detail.code}: ${event.detail.message}`}
      />
      <auth-signup min-password-length={12} onauth-signup={onSignup} />
      <auth-signup min-password-length="12" />
      <auth-logout redirect="/" onauth-logout={(event) => void event.detail} onauth-error={(event) => void event.detail.code}>
        Sign out
      </auth-logout>
      <auth-password-reset redirect="/home" onauth-password-reset={(event) => showUser(event.detail.user)} />
      <auth-verify-email endpoint="/auth" onauth-email-verified={(event) => void event.detail} />
      <auth-account
        sections="sessions password"
        onauth-session-revoked={onRevoked}
        onauth-password-changed={(event) => void event.detail}
        onauth-error={(event) => void event.detail.message}
      />

      <auth-login
        // @ts-expect-error misspelt attribute
        edpoint="/auth"
      />
      {/* @ts-expect-error the gate's state is the element's to set */}
      <auth-gate state="authenticated" />
      {/* @ts-expect-error not a number */}
      <auth-signup min-password-length="twelve" />
      <auth-login
        onauth-login={(event) => {
          // @ts-expect-error auth-login's detail has a user, not a code
          void event.detail.code;
        }}
      />
      {/* @ts-expect-error a handler of another event's detail */}
      <auth-login onauth-login={onWrongDetail} />
      <auth-account
        // @ts-expect-error misspelt attribute
        sectons="password"
      />
      <auth-signup
        onauth-signup={(event) => {
          // @ts-expect-error the user is null when the address must be confirmed first
          showUser(event.detail.user);
        }}
      />
    </>
  );
}

// The DOM tag and event maps, from "auth-elements" itself.
const element = document.querySelector("auth-login")!;
element.addEventListener("auth-login", (event) => showUser(event.detail.user));
// @ts-expect-error auth-login's detail has a user, not a code
element.addEventListener("auth-login", (event) => event.detail.code);
document.addEventListener("auth-session-expired", (event) => {
  const reason: "expired" | "unauthenticated" = event.detail.reason;
  void reason;
});
