// Shared helpers of the browser tests in components/: steer the mock session server
// (mock-session-server.mjs) and wait for what a user would see.

export async function resetMock(): Promise<void> {
  await fetch("/__mock/reset", { method: "POST" });
}

/** Forgets the link token an element of an earlier test took from this page's URL (page-state.ts). */
export function forgetLinkToken(): void {
  (globalThis as { [key: symbol]: { linkToken?: string } })[Symbol.for("auth-elements.store")]!.linkToken = undefined;
}

/** How many GET /auth/session requests the mock has answered since the last reset. */
export async function sessionGets(): Promise<number> {
  const response = await fetch("/__mock/count");
  return ((await response.json()) as { sessionGets: number }).sessionGets;
}

/** How many GET /auth/config requests the mock has answered since the last reset. */
export async function configGets(): Promise<number> {
  const response = await fetch("/__mock/count");
  return ((await response.json()) as { configGets: number }).configGets;
}

/** What the mock's GET /auth/config answers from now on (merged into its defaults). */
export async function setServerConfig(config: Record<string, unknown>): Promise<void> {
  await fetch("/__mock/config", { method: "POST", body: JSON.stringify(config) });
}

export interface Mail {
  to: string;
  kind: "reset" | "verify";
  token: string;
}

/** The links the mock "mailed" since the last reset, oldest first. */
export async function mailbox(): Promise<Mail[]> {
  return (await (await fetch("/__mock/mail")).json()) as Mail[];
}

/** The token of the last link of `kind` mailed to `to`. */
export async function lastToken(to: string, kind: Mail["kind"]): Promise<string> {
  const mail = (await mailbox()).filter((entry) => entry.to === to && entry.kind === kind).pop();
  if (!mail) throw new Error(`no ${kind} mail to ${to}`);
  return mail.token;
}

/** Signs `email` in on "another device" (a session the page's cookie is not); resolves with its public id. */
export async function otherDevice(email = "user@example.com"): Promise<string> {
  return ((await (await fetch(`/__mock/device?email=${encodeURIComponent(email)}`, { method: "POST" })).json()) as { id: string }).id;
}

/** The public ids of every session of `email` the mock holds. */
export async function devices(email = "user@example.com"): Promise<string[]> {
  return (await (await fetch(`/__mock/devices?email=${encodeURIComponent(email)}`)).json()) as string[];
}

/** Every request the mock has seen since the last reset (but its own /__mock ones): method, URL path with query, Referer. */
export async function seenRequests(): Promise<{ method: string; path: string; referer: string }[]> {
  return (await (await fetch("/__mock/requests")).json()) as { method: string; path: string; referer: string }[];
}

/** From now on logouts answer `{logoutUrl: url}`, as the server does for a session signed in with a provider. */
export async function setLogoutUrl(url: string): Promise<void> {
  await fetch(`/__mock/logout-url?to=${encodeURIComponent(url)}`, { method: "POST" });
}

export async function delayAuth(ms: number): Promise<void> {
  await fetch(`/__mock/delay?ms=${ms}`, { method: "POST" });
}

/** Ends every session on the server side, as a revoked refresh token would. */
export async function revokeSessions(): Promise<void> {
  await fetch("/__mock/revoke", { method: "POST" });
}

/** Resolves with `probe()`'s value once it is truthy; rejects after `timeout` ms. */
export async function until<T>(probe: () => T, timeout = 3000, what = "condition"): Promise<NonNullable<T>> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value) return value as NonNullable<T>;
    if (performance.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the next `type` event on `target`. */
export function nextEvent<E extends Event = CustomEvent>(target: EventTarget, type: string): Promise<E> {
  return new Promise((resolve) => target.addEventListener(type, (event) => resolve(event as E), { once: true }));
}

/** Fills the light-DOM form of an <auth-login> or <auth-signup> and submits it like a user. */
export function submitForm(element: HTMLElement, email: string, password: string): void {
  const form = element.querySelector("form")!;
  (form.elements.namedItem("email") as HTMLInputElement).value = email;
  (form.elements.namedItem("password") as HTMLInputElement).value = password;
  form.requestSubmit();
}

/** Waits until a custom element rendered by Svelte (one microtask after connection) has content. */
export async function rendered<T extends HTMLElement>(element: T): Promise<T> {
  await until(() => (element.shadowRoot ?? element).querySelector("form, button, slot"), 3000, `<${element.localName}> to render`);
  return element;
}

/**
 * Opens `src` (a page running frame-page.js) in a hidden same-origin iframe, a stand-in for another
 * tab, and resolves once it posts `{ready: true}`; frameSession() then tracks its store. A frame
 * whose elements must take focus has to be `visible` (nothing in a hidden frame is focusable).
 */
export async function openFrame(src: string, { visible = false } = {}): Promise<HTMLIFrameElement> {
  const frame = document.createElement("iframe") as HTMLIFrameElement & { lastSession?: unknown };
  frame.hidden = !visible;
  const ready = new Promise<void>((resolve) => {
    window.addEventListener("message", (event: MessageEvent) => {
      if (event.source !== frame.contentWindow) return;
      if (event.data?.session) frame.lastSession = event.data.session;
      if (event.data?.ready) resolve();
    });
  });
  frame.src = src;
  document.body.append(frame);
  await ready;
  return frame;
}

/** Session bodies from the mock say the session ends in `seconds`. */
export async function expireSessionsIn(seconds: number): Promise<void> {
  await fetch(`/__mock/expires?in=${seconds}`, { method: "POST" });
}

/** Asks a frame opened with openFrame() to call one export of its bundle; resolves with the result. */
export function callInFrame(frame: HTMLIFrameElement, call: string, ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    window.addEventListener("message", function onMessage(event) {
      if (event.source !== frame.contentWindow || event.data?.result !== call) return;
      window.removeEventListener("message", onMessage);
      if (event.data.error) reject(new Error(event.data.error));
      else resolve(event.data.value);
    });
    frame.contentWindow!.postMessage({ call, args }, location.origin);
  });
}

/** The latest session state a frame opened with openFrame() reported. */
export function frameSession(frame: HTMLIFrameElement): { status: string } | undefined {
  return (frame as HTMLIFrameElement & { lastSession?: { status: string } }).lastSession;
}

/** Resolves with the path a frame was redirected to (landing.html reports it), or rejects. */
export function landingOf(frame: HTMLIFrameElement, timeout = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the frame was not redirected")), timeout);
    window.addEventListener("message", function onMessage(event) {
      if (event.source !== frame.contentWindow || !event.data?.landed) return;
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      resolve(event.data.landed);
    });
  });
}
