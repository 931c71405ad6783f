// Starts the reference auth service: opens the store and the signing key under dataDir, sets up its mail (SMTP or the
// dev mailbox) and serves the contract over HTTP.
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createRequestHandler, type AuthServiceContext } from "./app.js";
import { DEFAULT_MAIL_FROM, webauthnSettings } from "./config.js";
import { RESET_TOKEN_LIFETIME_SECONDS, VERIFICATION_TOKEN_LIFETIME_SECONDS } from "./link-tokens.js";
import { createMailer } from "./mail/mailer.js";
import { Outbox } from "./mail/outbox.js";
import { createDummyHash } from "./passwords.js";
import { loadOrCreateSigningKey } from "./signing-key.js";
import { AuthStore } from "./store.js";

export interface AuthServiceOptions {
  /** Holds auth-service.sqlite and auth-service-signing-key.json; created when missing. */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 120. */
  jwtLifetimeSeconds?: number;
  /** Default 30 days. */
  refreshTokenLifetimeSeconds?: number;
  /** JWT `iss`; default: the service's own origin. */
  issuer?: string;
  /** JWT `aud`; default "auth-elements". */
  audience?: string;
  /** Default 8. */
  minPasswordLength?: number;
  /** SMTP_URL; unset: the dev mailbox (one JSON file per mail under `mailDir`, its link logged). */
  smtpUrl?: string | undefined;
  /** MAIL_FROM; default "auth-elements <no-reply@localhost>". */
  mailFrom?: string;
  /** The dev mailbox's directory; default `<dataDir>/mail`. */
  mailDir?: string;
  /** LINK_ORIGINS: exact origins mailed links may point to; default none (every link refused with 400). */
  linkOrigins?: readonly string[];
  /** REQUIRE_EMAIL_VERIFICATION; default false. */
  requireEmailVerification?: boolean;
  /** Default 30 minutes. */
  resetTokenLifetimeSeconds?: number;
  /** Default 24 hours. */
  verificationTokenLifetimeSeconds?: number;
  /** WEBAUTHN_RP_ID; default the first origin's host. */
  webauthnRpId?: string | undefined;
  /** WEBAUTHN_ORIGINS: where passkey ceremonies may come from; default the RP id's https origin, else http://localhost:3000. */
  webauthnOrigins?: readonly string[] | undefined;
  /** The site name authenticators show when a passkey is made; default the RP id. */
  webauthnRpName?: string;
  /** Receives unexpected errors (clients get a bare 500); default: one line on stderr. */
  onError?: (error: unknown) => void;
  /** Receives the dev mailbox's lines (one per mail, with its link); default: stdout. */
  log?: (line: string) => void;
}

export interface RunningAuthService {
  /** The origin, e.g. http://127.0.0.1:41234. */
  url: string;
  /** "smtp://host:port" or "dev mailbox <dir>". */
  mail: string;
  /** The WebAuthn relying party in effect: passkeys work on these origins only. */
  webauthn: { rpId: string; origins: string[] };
  close(): Promise<void>;
}

function originOf(address: AddressInfo): string {
  // A wildcard bind is reachable on loopback; the URL is for clients, which cannot connect to 0.0.0.0 or ::.
  const host = address.address === "0.0.0.0" ? "127.0.0.1" : address.address === "::" ? "::1" : address.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startAuthService(options: AuthServiceOptions): Promise<RunningAuthService> {
  // Checked before anything is opened: a bad RP id or origin stops the start (AuthServiceConfigError names it).
  const webauthn = webauthnSettings(options.webauthnRpId, options.webauthnOrigins);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const signingKey = await loadOrCreateSigningKey(options.dataDir);
  const dummyHash = await createDummyHash();
  const store = new AuthStore(options.dataDir);
  const onError =
    options.onError ??
    ((error: unknown) =>
      process.stderr.write(`auth service: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
  const mailer = createMailer({
    smtpUrl: options.smtpUrl,
    from: options.mailFrom ?? DEFAULT_MAIL_FROM,
    mailDir: options.mailDir ?? path.join(options.dataDir, "mail"),
    log: options.log ?? ((line) => process.stdout.write(`${line}\n`)),
  });
  const outbox = new Outbox(onError);

  const context: AuthServiceContext = {
    store,
    mailer,
    outbox,
    linkOrigins: [...(options.linkOrigins ?? [])],
    requireEmailVerification: options.requireEmailVerification ?? false,
    resetTokenLifetimeSeconds: options.resetTokenLifetimeSeconds ?? RESET_TOKEN_LIFETIME_SECONDS,
    verificationTokenLifetimeSeconds: options.verificationTokenLifetimeSeconds ?? VERIFICATION_TOKEN_LIFETIME_SECONDS,
    signingKey,
    dummyHash,
    jwt: {
      issuer: options.issuer ?? "",
      audience: options.audience ?? "auth-elements",
      lifetimeSeconds: options.jwtLifetimeSeconds ?? 120,
    },
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? 30 * 24 * 3600,
    minPasswordLength: options.minPasswordLength ?? 8,
    webauthn: { rpId: webauthn.rpId, rpName: options.webauthnRpName ?? webauthn.rpId, origins: webauthn.origins },
    onError,
  };
  const server = createServer(createRequestHandler(context));

  let address: AddressInfo;
  try {
    address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  } catch (error) {
    mailer.close();
    store.close();
    throw error;
  }
  const url = originOf(address);
  if (!options.issuer) context.jwt.issuer = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    mail: mailer.description,
    webauthn,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => {
          // Mails already accepted go out first (briefly: a dead mail server does not hold the stop).
          void outbox.drain(2_000).then(() => {
            mailer.close();
            store.close();
            if (error) reject(error);
            else resolve();
          });
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
