// A stand-in for the browser's authenticators in the element tests: navigator.credentials.create()
// and get(), and PublicKeyCredential.isConditionalMediationAvailable(), replaced until restore().
// Each call is recorded with its options; what it answers is the test's `answer` (a credential, or
// a DOMException such as the NotAllowedError of a cancelled dialog). The mock session server
// (mock-session-server.mjs) accepts a credential whose id it registered.

export type Kind = "create" | "get";

export interface Call {
  kind: Kind;
  options: CredentialCreationOptions & CredentialRequestOptions;
}

export interface FakeWebAuthn {
  calls: Call[];
  restore(): void;
}

const encoder = new TextEncoder();
const buffer = (text: string): ArrayBuffer => encoder.encode(text).buffer as ArrayBuffer;
export const base64url = (bytes: ArrayBuffer | ArrayBufferView): string =>
  btoa(String.fromCharCode(...new Uint8Array(ArrayBuffer.isView(bytes) ? bytes.buffer : bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
/** The text an ArrayBuffer or view holds. */
export const text = (bytes: BufferSource): string => new TextDecoder().decode(bytes);

/**
 * A PublicKeyCredential-like object with id `id` for a `kind` ceremony. With `json` (the default)
 * it has toJSON(), as current browsers do; without, only the raw buffers (the fallback's path).
 */
export function fakeCredential(id: string, kind: Kind, json = true): PublicKeyCredential {
  const response: Record<string, unknown> =
    kind === "create"
      ? { clientDataJSON: buffer("client data"), attestationObject: buffer("attestation"), getTransports: () => ["internal"] }
      : {
          clientDataJSON: buffer("client data"),
          authenticatorData: buffer("authenticator data"),
          signature: buffer("signature"),
          userHandle: buffer("u-1"),
        };
  const credential: Record<string, unknown> = {
    id,
    rawId: buffer(id),
    type: "public-key",
    authenticatorAttachment: "platform",
    response,
    getClientExtensionResults: () => ({}),
  };
  if (json) {
    credential.toJSON = () => ({
      id,
      rawId: base64url(buffer(id)),
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: Object.fromEntries(
        Object.entries(response).map(([name, value]) => [
          name === "getTransports" ? "transports" : name,
          typeof value === "function" ? value() : base64url(value as ArrayBuffer),
        ]),
      ),
    });
  }
  return credential as unknown as PublicKeyCredential;
}

/** A DOMException as the browser throws it (`NotAllowedError`: cancelled or timed out). */
export const domError = (name: string): DOMException => new DOMException(`${name} (fake)`, name);

/** Replaces `name` on `target` with `value`; the returned function puts back what was there. */
function replace(target: object, name: string, value: unknown): () => void {
  const own = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { configurable: true, writable: true, value });
  return () => (own ? Object.defineProperty(target, name, own) : delete (target as Record<string, unknown>)[name]);
}

/**
 * Fakes the authenticators: each create()/get() is recorded and answered by `answer`; a call with a
 * signal rejects with AbortError when it aborts, like the browser's. `conditional` is what
 * isConditionalMediationAvailable() says.
 */
export function fakeWebAuthn(answer: (call: Call) => Promise<Credential | null>, { conditional = false } = {}): FakeWebAuthn {
  const calls: Call[] = [];
  const ceremony = (kind: Kind) => (options: Call["options"]) => {
    const call = { kind, options };
    calls.push(call);
    return new Promise<Credential | null>((resolve, reject) => {
      options.signal?.addEventListener("abort", () => reject(domError("AbortError")));
      answer(call).then(resolve, reject);
    });
  };
  const restores = [
    replace(navigator.credentials, "create", ceremony("create")),
    replace(navigator.credentials, "get", ceremony("get")),
    replace(PublicKeyCredential, "isConditionalMediationAvailable", () => Promise.resolve(conditional)),
  ];
  return { calls, restore: () => restores.forEach((restore) => restore()) };
}

/** Never settles by itself: a conditional request waiting for the user to pick a passkey. */
export const pending = (): Promise<never> => new Promise(() => {});

/** What the mock session server holds: its passkeys, and the bodies POSTed to it. */
export async function mockPasskeys(): Promise<{
  passkeys: { credentialId: string; name: string }[];
  bodies: { credential: Record<string, unknown>; name?: string }[];
}> {
  return (await (await fetch("/__mock/passkeys")).json()) as Awaited<ReturnType<typeof mockPasskeys>>;
}
