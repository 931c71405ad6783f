// DEMO IDENTITY PROVIDER for `npm start`: the test provider (test-provider.ts) with one confidential
// client for the demo's session server, shown as "Test IdP (demo)". Not for real users: anyone signs
// in as any e-mail address, with no password.
//
// Use: `const idp = await startDemoIdp()`, give `idp.env` to the session server's loadConfig, then,
// once the demo's public origins and the session server's own URL are known, `idp.register(…)`.
import { randomBytes } from "node:crypto";
import { startTestProvider, type TestProvider } from "./test-provider.js";

export const DEMO_PROVIDER_ID = "demo";

export interface DemoIdp {
  provider: TestProvider;
  /** The OIDC_* variables that make the session server a client of this provider. */
  env: Record<string, string>;
  /**
   * Registers the demo client: redirect and post-logout URIs on each origin browsers may use (say
   * `http://127.0.0.1:3000` and `http://localhost:3000`), and back-channel logout to the session
   * server itself (`sessionServerUrl`, reachable from here).
   */
  register(publicOrigins: string[], sessionServerUrl: string, authPrefix?: string): void;
  close(): Promise<void>;
}

export async function startDemoIdp(options: { port?: number; host?: string } = {}): Promise<DemoIdp> {
  const provider = await startTestProvider({ port: options.port ?? 0, host: options.host ?? "127.0.0.1", accessTokenTtlSeconds: 300 });
  const clientId = "auth-elements-demo";
  const clientSecret = randomBytes(24).toString("base64url");
  const prefix = `OIDC_${DEMO_PROVIDER_ID.toUpperCase()}_`;
  return {
    provider,
    env: {
      OIDC_PROVIDERS: `${DEMO_PROVIDER_ID}=${provider.issuer}`,
      [`${prefix}CLIENT_ID`]: clientId,
      [`${prefix}CLIENT_SECRET`]: clientSecret,
      [`${prefix}NAME`]: "Test IdP (demo)",
    },
    register(publicOrigins, sessionServerUrl, authPrefix = "/auth") {
      provider.addClient({
        clientId,
        clientSecret,
        name: "auth-elements demo",
        redirectUris: publicOrigins.map((origin) => `${origin}${authPrefix}/oidc/${DEMO_PROVIDER_ID}/callback`),
        postLogoutRedirectUris: publicOrigins.map((origin) => `${origin}/`),
        backchannelLogoutUri: `${sessionServerUrl}${authPrefix}/oidc/backchannel-logout`,
      });
    },
    close: () => provider.close(),
  };
}
