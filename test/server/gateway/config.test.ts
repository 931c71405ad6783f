// The gateway's configuration (design.md "Configuration"): UPSTREAMS, UPSTREAM_TIMEOUT_MS and
// GATEWAY_BODY_LIMIT_BYTES, their defaults, and one clear error naming the variable when wrong.
// Plus the path resolver on its own, for the exact upstream paths it produces.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../server/config.js";
import { ApiError } from "../../../server/http/errors.js";
import { resolveUpstream } from "../../../server/gateway/upstream-path.js";

const base = { SESSION_SECRET: "x".repeat(32) };

describe("gateway configuration", () => {
  it("defaults: no upstreams, UPSTREAM_TIMEOUT_MS 10000, a 1 MiB body limit", () => {
    const config = loadConfig(base);
    expect(config.upstreams.size).toBe(0);
    expect(config.upstreamTimeoutMs).toBe(10_000);
    expect(config.gatewayBodyLimitBytes).toBe(1024 * 1024);
  });

  it("parses name=http://host:port/base lists (trailing slash dropped, no base allowed)", () => {
    const config = loadConfig({
      ...base,
      UPSTREAMS: "notes=http://127.0.0.1:4001/base/, other=https://svc.internal:8443 ",
      UPSTREAM_TIMEOUT_MS: "300",
    });
    expect([...config.upstreams.values()]).toEqual([
      { name: "notes", origin: "http://127.0.0.1:4001", basePath: "/base" },
      { name: "other", origin: "https://svc.internal:8443", basePath: "" },
    ]);
    expect(config.upstreamTimeoutMs).toBe(300);
  });

  it.each([
    ["UPSTREAMS", "notes"],
    ["UPSTREAMS", "=http://127.0.0.1:1"],
    ["UPSTREAMS", "bad name=http://127.0.0.1:1"],
    ["UPSTREAMS", "a=http://127.0.0.1:1,a=http://127.0.0.1:2"],
    ["UPSTREAMS", "a=not a url"],
    ["UPSTREAMS", "a=ftp://127.0.0.1/x"],
    ["UPSTREAMS", "a=http://127.0.0.1:1/x?q=1"],
    ["UPSTREAMS", "a=http://user:pw@127.0.0.1:1/x"],
    ["UPSTREAM_TIMEOUT_MS", "0"],
    ["UPSTREAM_TIMEOUT_MS", "soon"],
    ["GATEWAY_BODY_LIMIT_BYTES", "-1"],
  ])("%s=%s stops the start with a ConfigError naming the variable", (name, value) => {
    let error: unknown;
    try {
      loadConfig({ ...base, [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(`${name}:`)).toBe(true);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("resolveUpstream", () => {
  const upstreams = loadConfig({ ...base, UPSTREAMS: "svc=http://127.0.0.1:4001/base,root=http://127.0.0.1:4002" }).upstreams;
  const resolve = (url: string): string => resolveUpstream(url, upstreams).path;
  const code = (url: string): string | undefined => {
    try {
      resolveUpstream(url, upstreams);
      return undefined;
    } catch (error) {
      return error instanceof ApiError ? `${error.status} ${error.code}` : String(error);
    }
  };

  it("keeps the rest of the path and the query exactly", () => {
    expect(resolve("/api/svc/x/y?q=1&r=%20")).toBe("/base/x/y?q=1&r=%20");
    expect(resolve("/api/svc")).toBe("/base");
    expect(resolve("/api/svc/")).toBe("/base/");
    expect(resolve("/api/svc?x=1")).toBe("/base?x=1");
    expect(resolve("/api/root/x")).toBe("/x");
    expect(resolve("/api/root")).toBe("/");
    expect(resolve("/api/svc/a%20b/%C3%A9")).toBe("/base/a%20b/%C3%A9");
    expect(resolve("/api/svc/.well/..x/x..")).toBe("/base/.well/..x/x..");
  });

  it("passes a path of every unreserved and sub-delim character as it came (the plain path needs no further check)", () => {
    expect(resolve("/api/svc/aZ09-_~!$&'()*+,=:@/x/")).toBe("/base/aZ09-_~!$&'()*+,=:@/x/");
    expect(resolve("/api/svc/a;b/c")).toBe("/base/a;b/c");
    expect(code("/api/svc/..;/secret")).toBe("400 bad_request");
  });

  it.each([
    "/api/svc/../x",
    "/api/svc/./x",
    "/api/svc/x/..",
    "/api/svc/%2e%2e/x",
    "/api/svc/%2E./x",
    "/api/svc/x%2fy",
    "/api/svc/x%5Cy",
    "/api/svc/x\\y",
    "/api/svc//host/x",
    "/api/svc/x//y",
    "/api/svc/%252e%252e/x",
    "/api/svc/x\u0000y",
    "/api/svc/x?a=b c",
    "/api/svc/x?a#frag",
    "http://evil.example/api/svc/x",
    "//evil.example/api/svc/x",
    "*",
  ])("%j is refused with 400 bad_request", (url) => {
    expect(code(url)).toBe("400 bad_request");
  });

  it("unknown or empty service: 404 unknown_service", () => {
    expect(code("/api/nope/x")).toBe("404 unknown_service");
    expect(code("/api/")).toBe("404 unknown_service");
    expect(code("/api//x")).toBe("404 unknown_service");
  });
});
