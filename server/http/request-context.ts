// The request context: the scheme, host, origin and client address that every path of the server
// acts on (the /auth routes, the session check, the CSRF and CORS policy, the gateway), computed once
// per request with Express's own compiled `trust proxy` function.
//
// Threat model: `X-Forwarded-Proto`, `-Host` and `-For` are written by whoever sends the request.
// They are believed only as far as TRUST_PROXY says, with Express's semantics exactly (proxy-addr):
// the scheme and host only when the socket's peer is trusted, the client address by walking
// `X-Forwarded-For` back from the peer while each hop is trusted. So with TRUST_PROXY unset, `false`,
// `0` or an address that is not the peer, a client cannot choose the scheme or origin the server acts
// on, nor the address the rate limits count and the upstream receives.
import type { IncomingMessage } from "node:http";
import proxyAddr from "proxy-addr";

/** Express's compiled `trust proxy` function (`app.get("trust proxy fn")`). */
export type TrustFunction = (address: string, hop: number) => boolean;

export interface RequestContext {
  readonly scheme: "http" | "https";
  /** `host[:port]` as the client addressed it: Host, or a trusted proxy's X-Forwarded-Host. */
  readonly host: string | undefined;
  /** `scheme://host[:port]` (default port dropped), or undefined when there is no usable host. */
  readonly origin: string | undefined;
  /** The client's address, as `req.ip` gives it. */
  readonly clientAddress: string;
  /** The trusted chain, oldest first, ending with the socket's peer: what an upstream may believe. */
  readonly forwardedFor: string;
}

const CONTEXT = Symbol("auth-elements.request-context");
type WithContext = IncomingMessage & { [CONTEXT]?: RequestContext };

/** The first value of a (possibly repeated, possibly comma-separated) header, trimmed. */
function firstValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const comma = first?.indexOf(",") ?? -1;
  return (comma === -1 ? first : first!.slice(0, comma))?.trim() || undefined;
}

function originOf(scheme: "http" | "https", host: string | undefined): string | undefined {
  if (!host) return undefined;
  // The common case needs no parsing: a lowercase host with an explicit or no port.
  if (/^[a-z0-9.-]+(:\d{1,5})?$/.test(host)) {
    const defaultPort = scheme === "https" ? ":443" : ":80";
    return `${scheme}://${host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host}`;
  }
  try {
    const url = new URL(`${scheme}://${host}`);
    return url.host === "" || url.pathname !== "/" || url.username || url.password ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/** A request's context. The origin is worked out when first asked for: the gateway never needs it. */
class Context implements RequestContext {
  #origin: string | undefined | null = null;

  constructor(
    readonly scheme: "http" | "https",
    readonly host: string | undefined,
    readonly clientAddress: string,
    readonly forwardedFor: string,
  ) {}

  get origin(): string | undefined {
    if (this.#origin === null) this.#origin = originOf(this.scheme, this.host);
    return this.#origin;
  }
}

/** Computes the context, as Express's req.protocol, req.host and req.ip would. */
function compute(req: IncomingMessage, trust: TrustFunction): RequestContext {
  const peer = req.socket.remoteAddress ?? "";
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const peerTrusted = peer !== "" && trust(peer, 0);
  let scheme: "http" | "https" = encrypted ? "https" : "http";
  const headers = req.headers;
  let host = headers.host;
  if (peerTrusted) {
    const proto = firstValue(headers["x-forwarded-proto"])?.toLowerCase();
    if (proto === "http" || proto === "https") scheme = proto;
    host = firstValue(headers["x-forwarded-host"]) ?? host;
  }
  // proxy-addr walks X-Forwarded-For from the peer backwards while each hop is trusted: [peer, …, client].
  // Without X-Forwarded-For (and with an untrusted peer) the chain is the peer alone: no parsing.
  const chain = peerTrusted && headers["x-forwarded-for"] !== undefined ? proxyAddr.all(req, trust) : undefined;
  if (!chain) return new Context(scheme, host, peer, peer);
  return new Context(scheme, host, chain[chain.length - 1] ?? peer, chain.reverse().join(", "));
}

/** Reads a request's context: computed on first use, then kept on the request. */
export type ContextOf = (req: IncomingMessage) => RequestContext;

/** The context reader for one app, bound to its compiled trust function. */
export function contextReader(trust: TrustFunction): ContextOf {
  return (req) => ((req as WithContext)[CONTEXT] ??= compute(req, trust));
}
