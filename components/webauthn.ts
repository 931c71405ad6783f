// The browser's side of a passkey ceremony (design.md, "Passkeys (WebAuthn)"): the session server
// relays the auth service's options as WebAuthn's JSON, the authenticator answers through
// navigator.credentials, and the answer goes back as JSON. The browser's own JSON helpers
// (PublicKeyCredential.parse…OptionsFromJSON, credential.toJSON()) where it has them, base64url by
// hand where it does not. Part of <auth-login>'s extras (login-extras.ts): <auth-login> loads it
// once GET /config offers passkeys, the entry's loginWithPasskey() and a passkey's registration
// (account-actions.ts) on their first call. A ceremony the user cancels, that times out or that the page aborts resolves null:
// nothing to announce. The challenge, origin and RP id checks are the auth service's.
import type { AuthError, PasskeyLoginOptions, PasskeyMessageKey, RequestOptions, SessionState } from "./auth-elements.js";
import { addEnglish } from "./messages.js";
import { request } from "./session-client.js";
import { authenticate, endpointFor, session } from "./session-store.js";

export const passkeyEnglish: Readonly<Record<PasskeyMessageKey, string>> = {
  passkey_login: "Sign in with a passkey",
  passkey_refused: "This passkey was not accepted. Try another, or your password.",
  passkey_failed: "This device could not use a passkey. Try again, or sign in another way.",
};

addEnglish(passkeyEnglish);

type CreationJSON = PublicKeyCredentialCreationOptionsJSON;
type RequestJSON = PublicKeyCredentialRequestOptionsJSON;
/** `RegistrationResponseJSON` or `AuthenticationResponseJSON`, relayed as it is. */
type CredentialJSON = ReturnType<PublicKeyCredential["toJSON"]>;

/** The browser's JSON helpers and conditional mediation, where it has them (WebAuthn Level 3). */
const Native: Partial<typeof PublicKeyCredential> = typeof PublicKeyCredential === "function" ? PublicKeyCredential : {};

const bytes = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

const base64url = (buffer: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

const descriptors = (list?: PublicKeyCredentialDescriptorJSON[]): PublicKeyCredentialDescriptor[] | undefined =>
  list?.map((entry) => ({ ...entry, type: "public-key", id: bytes(entry.id) }) as PublicKeyCredentialDescriptor);

/** `PublicKeyCredentialCreationOptionsJSON` as the browser takes it. */
export function creationOptions(json: CreationJSON): PublicKeyCredentialCreationOptions {
  if (Native.parseCreationOptionsFromJSON) return Native.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: bytes(json.challenge),
    user: { ...json.user, id: bytes(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  } as PublicKeyCredentialCreationOptions;
}

/** `PublicKeyCredentialRequestOptionsJSON` as the browser takes it. */
export function requestOptions(json: RequestJSON): PublicKeyCredentialRequestOptions {
  if (Native.parseRequestOptionsFromJSON) return Native.parseRequestOptionsFromJSON(json);
  return {
    ...json,
    challenge: bytes(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  } as PublicKeyCredentialRequestOptions;
}

/** A new or asserted credential as `RegistrationResponseJSON` / `AuthenticationResponseJSON`. */
export function credentialJSON(credential: PublicKeyCredential): CredentialJSON {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const answer = credential.response as AuthenticatorResponse & Record<string, unknown>;
  const response: Record<string, unknown> = {};
  // Its buffers (clientDataJSON, attestationObject or authenticatorData, signature, userHandle).
  for (const name in answer) if (answer[name] instanceof ArrayBuffer) response[name] = base64url(answer[name]);
  if (answer.getTransports) response.transports = (answer.getTransports as () => string[])();
  return {
    id: credential.id,
    rawId: base64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response,
    // What a relying party reads of it: toJSON()'s derived fields (publicKey, …) are not needed.
  } as unknown as CredentialJSON;
}

/**
 * Runs a ceremony; null when it was cancelled, timed out or aborted (the user saw the browser's own
 * dialog end). Any other refusal of the authenticator becomes the AuthError the elements show:
 * `passkey_exists` for a second passkey on one authenticator, else `passkey_failed`.
 */
export async function ceremony(run: () => Promise<Credential | null>): Promise<CredentialJSON | null> {
  try {
    const credential = await run();
    return credential && credentialJSON(credential as PublicKeyCredential);
  } catch (error) {
    const { name, message } = error as Error;
    if (name === "NotAllowedError" || name === "AbortError") return null;
    throw Object.assign(new Error(message), {
      name: "AuthError",
      code: name === "InvalidStateError" ? "passkey_exists" : "passkey_failed",
      status: 0,
    });
  }
}

export async function loginWithPasskey(options: PasskeyLoginOptions = {}): Promise<SessionState | null> {
  const { conditional, signal, endpoint } = options;
  if (conditional && !(await Native.isConditionalMediationAvailable?.())) return null;
  const json = await request<RequestJSON>(endpointFor(endpoint), "/passkeys/login/options", "POST");
  if (signal?.aborted) return null;
  const credential = await ceremony(() =>
    navigator.credentials.get({
      publicKey: requestOptions(json),
      ...(signal && { signal }),
      ...(conditional && { mediation: "conditional" }),
    }),
  );
  return credential && authenticate("/passkeys/login", { credential }, options);
}

/** What <auth-login>'s form lends its passkeys: its endpoint, its busy and refusal handling, its sign-in. */
interface LoginForm {
  options(): RequestOptions;
  attempt<T>(call: () => Promise<T>, passkeyUsed: true): Promise<T | undefined>;
  fail(error: AuthError, passkeyUsed: true): void;
  signedIn(state: SessionState): void;
}

export interface PasskeyForm {
  /** The button's sign-in: the browser's dialog, the form busy meanwhile. */
  signIn(): Promise<void>;
  /** Offers passkeys in the e-mail field's autofill (again). */
  offer(): Promise<void>;
  /** Ends the ceremony under way (a password is being sent). */
  abort(): void;
  /** Ends it, and offers nothing any more (the form is gone). */
  stop(): void;
}

/**
 * <auth-login>'s passkeys, offered in its e-mail field's autofill whenever nobody is signed in (a
 * form that a signed-in page keeps hidden asks the authenticators nothing). Autofill's sign-in is
 * quiet unless the server refused the passkey it gave (so that a page where the browser has none
 * to offer says nothing). A cancelled or aborted ceremony says nothing; once the button's dialog is
 * cancelled, autofill offers passkeys again (a refused passkey is not offered again at once: the
 * user picks the button, or a password).
 */
export function passkeyForm(form: LoginForm): PasskeyForm {
  let pending: AbortController | undefined;
  const abort = (): void => pending?.abort();

  async function run(conditional?: boolean): Promise<void> {
    abort();
    const controller = (pending = new AbortController());
    const call = () => loginWithPasskey({ ...form.options(), conditional, signal: controller.signal });
    // null: cancelled; undefined: refused (and said so, unless autofill could not ask at all).
    const state = await (conditional
      ? call().catch((error: AuthError) => {
          if (error.status === 401 || error.status === 429) form.fail(error, true);
        })
      : form.attempt(call, true));
    if (state) form.signedIn(state);
    else if (state === null && !conditional && !controller.signal.aborted) void run(true);
  }

  const unsubscribe = session.subscribe((state) => (state.status === "anonymous" ? void run(true) : abort()));
  return {
    signIn: () => run(),
    offer: () => run(true),
    abort,
    stop() {
      unsubscribe();
      abort();
    },
  };
}
