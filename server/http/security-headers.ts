// Security headers for the session server's own responses (helmet): nosniff, no referrer,
// `frame-ancestors 'none'` and a CSP that lets a JSON answer do nothing; HSTS only over HTTPS; and
// `Cache-Control: no-store`, set here once for every answer of our own (`GET /auth/config` alone
// overrides it). Helmet is asked once, at start-up, which headers it sets; every response then gets
// that list, so the hot paths (session check, gateway errors) pay a few setHeader calls and nothing
// more. Gateway answers keep the upstream's own headers instead.
import type { ServerResponse } from "node:http";
import helmet from "helmet";
import type { RequestHandler } from "express";

export type HeaderList = ReadonlyArray<readonly [string, string]>;

export function securityHeaderList(options: { https: boolean }): HeaderList {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: "no-referrer" },
    crossOriginResourcePolicy: { policy: "same-site" },
    crossOriginOpenerPolicy: { policy: "same-origin" },
    xFrameOptions: { action: "deny" },
  });
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  let called = false;
  middleware({ headers: {}, method: "GET", url: "/" } as never, recorder as never, () => {
    called = true;
  });
  if (!called) throw new Error("helmet did not finish synchronously: security headers cannot be precomputed");
  headers.set("Cache-Control", "no-store");
  return [...headers];
}

export function setHeaders(res: ServerResponse, headers: HeaderList): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

export function securityHeaders(headers: HeaderList): RequestHandler {
  return (_req, res, next) => {
    setHeaders(res, headers);
    next();
  };
}
