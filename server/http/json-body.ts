// Request bodies of the session server's own routes: JSON only, in UTF-8 only, size-limited, parsed
// once. An unsafe method carrying a body of another type or charset gets 415 (a request without a
// body needs no type); too large 413; malformed 400; a key given twice in one object is ambiguous: 400.
import express from "express";
import type { RequestHandler } from "express";
import { ApiError } from "./errors.js";
import { findDuplicateKey } from "./json-duplicates.js";

export function hasBody(headers: { "content-length"?: string | undefined; "transfer-encoding"?: string | undefined }): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}

export function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/**
 * True unless the type names a charset other than UTF-8. JSON is UTF-8 (RFC 8259); a body declared
 * as UTF-7 or UTF-16 would be decoded by body-parser into other text than the bytes say, past the
 * duplicate-key check, which reads the bytes as UTF-8 (`+ACI-` is a quote in UTF-7).
 */
function declaresUtf8OrNothing(contentType: string): boolean {
  for (const parameter of contentType.split(";").slice(1)) {
    const eq = parameter.indexOf("=");
    if (eq === -1 || parameter.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    const charset = parameter
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    if (charset !== "utf-8") return false;
  }
  return true;
}

export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, res, next) => {
    const type = req.headers["content-type"];
    if (hasBody(req.headers) && (!isJsonType(type) || !declaresUtf8OrNothing(type!))) {
      return next(
        new ApiError(415, "unsupported_media_type", {
          message: "The request body must be JSON in UTF-8 (Content-Type: application/json).",
        }),
      );
    }
    // A declared length over the limit is refused before reading: body-parser would first read off
    // (and discard) the whole announced body, so a client announcing gigabytes and sending nothing
    // held the request open until the server's request timeout. Closing the connection drops the rest.
    if (Number(req.headers["content-length"]) > limitBytes) {
      res.setHeader("Connection", "close");
      return next(new ApiError(413, "payload_too_large"));
    }
    next();
  };
  const parse = express.json({
    limit: limitBytes,
    strict: true,
    type: isJsonTypeOfRequest,
    verify: (_req, _res, buffer) => {
      const duplicate = findDuplicateKey(buffer.toString("utf8"));
      if (duplicate !== null) {
        throw new ApiError(400, "bad_request", { message: `The key "${duplicate.slice(0, 64)}" appears twice.` });
      }
    },
  });
  return [requireJson, parse];
}

function isJsonTypeOfRequest(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  const type = req.headers["content-type"];
  return isJsonType(Array.isArray(type) ? type[0] : type);
}
