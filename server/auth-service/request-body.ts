// Reads a JSON request body with the contract's rules: JSON content types only (415), a size limit (413), valid JSON (400).
// Threat model: an unauthenticated client can send anything; nothing here may buffer without bound or throw a 5xx.
import type { IncomingMessage } from "node:http";
import { ReplyError, hydraError } from "./responses.js";

export const BODY_LIMIT_BYTES = 64 * 1024;
const ACCEPTED_TYPES: ReadonlySet<string> = new Set(["application/ld+json", "application/json"]);
/** What a PATCH takes, as in API Platform: JSON Merge Patch only. */
export const MERGE_PATCH_TYPES: ReadonlySet<string> = new Set(["application/merge-patch+json"]);

function tooLarge(): ReplyError {
  return new ReplyError(hydraError(413, "The request body is too large.", { Connection: "close" }));
}

/** Resolves to the parsed JSON value; rejects with a ReplyError carrying the 4xx to send. */
export async function readJsonBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES, accepted = ACCEPTED_TYPES): Promise<unknown> {
  const mediaType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (!accepted.has(mediaType)) {
    req.resume();
    const shown = mediaType ? `"${mediaType}"` : "missing";
    const supported = [...accepted].map((type) => `"${type}"`).join(", ");
    throw new ReplyError(hydraError(415, `The content-type ${shown} is not supported. Supported MIME types are ${supported}.`));
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    throw tooLarge();
  }

  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Stop buffering but keep draining, so the 413 still reaches the client before the connection closes.
      req.off("data", onData);
      req.off("end", onEnd);
      req.resume();
      reject(tooLarge());
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    req.on("data", onData);
    req.on("end", onEnd);
    req.once("error", reject);
  });

  const text = body.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ReplyError(hydraError(400, "Syntax error"));
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The body as a JSON object, or a ReplyError (400 for any other JSON value). */
export async function readObject(req: IncomingMessage, accepted = ACCEPTED_TYPES): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req, BODY_LIMIT_BYTES, accepted);
  if (!isPlainObject(body)) throw new ReplyError(hydraError(400, "The input data must be a JSON object."));
  return body;
}
