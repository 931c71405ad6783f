// docs/security.md maps each numbered line of the security bar to named tests, or lists it under
// "Not yet covered" with the issue that will cover it. This test keeps that page honest: every line
// of the shared bar is in exactly one of the two (mapped and listed, or neither, fails); every mapped
// line names at least one test; every named test file exists and holds that title as a quoted
// string; and every listed line names its issue.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const MAP = path.join(ROOT, "docs/security.md");
const SHARED = path.resolve(ROOT, "../shared/security.md");

interface Reference {
  file: string;
  title: string;
}

const page = readFileSync(MAP, "utf8");
const [mappedPart = "", pendingPart = ""] = page.split(/^## Not yet covered$/m);

function readTable(): Map<number, Reference[]> {
  const rows = new Map<number, Reference[]>();
  for (const line of mappedPart.split("\n")) {
    const row = /^\|\s*(\d+)\s*\|(.*)\|\s*$/.exec(line);
    if (!row) continue;
    const number = Number(row[1]);
    if (rows.has(number)) throw new Error(`line ${number} has two rows in docs/security.md`);
    const cells = row[2]!.split(/\s\|\s/);
    const tests = cells.at(-1)!;
    const references = [...tests.matchAll(/`(test\/[^`]+\.test\.ts)` › "(.+?)"(?=<br>|\s*$)/g)].map((m) => ({ file: m[1]!, title: m[2]! }));
    const written = tests.split("›").length - 1;
    if (written !== references.length)
      throw new Error(`line ${number}: ${written} references written, ${references.length} readable (format: \`file\` › "title")`);
    rows.set(number, references);
  }
  return rows;
}

/** `- 28 (issue 13): …` lines under "## Not yet covered". */
function readPending(): Map<number, number | undefined> {
  const pending = new Map<number, number | undefined>();
  for (const line of pendingPart.split("\n")) {
    const item = /^- (\d+)\b(?:\s*\(issue (\d+)\))?/.exec(line);
    if (!item) continue;
    const number = Number(item[1]);
    if (pending.has(number)) throw new Error(`line ${number} is listed twice under "Not yet covered"`);
    pending.set(number, item[2] === undefined ? undefined : Number(item[2]));
  }
  return pending;
}

const sources = new Map<string, string>();
function source(file: string): string | undefined {
  if (!sources.has(file)) {
    const full = path.join(ROOT, file);
    if (!existsSync(full)) return undefined;
    sources.set(file, readFileSync(full, "utf8"));
  }
  return sources.get(file);
}

/** The title as a string literal in the source: "…", '…' or `…`. */
function titleInSource(text: string, title: string): boolean {
  return [`"${title}"`, `'${title}'`, `\`${title}\``].some((quoted) => text.includes(quoted));
}

const table = readTable();
const pending = readPending();
const sharedLines = existsSync(SHARED)
  ? readFileSync(SHARED, "utf8")
      .split("\n")
      .map((line) => /^(\d+)\.\s/.exec(line)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
  : undefined;

describe("docs/security.md maps every line of the security bar to existing tests", () => {
  it("no line is both mapped to tests and listed as not yet covered", () => {
    expect([...table.keys()].filter((line) => pending.has(line))).toEqual([]);
  });

  it.runIf(sharedLines !== undefined)(
    "every numbered line of the shared security.md is mapped or listed as not yet covered, and no other line is",
    () => {
      const covered = [...table.keys(), ...pending.keys()].sort((a, b) => a - b);
      expect(covered).toEqual(sharedLines);
    },
  );

  it("every line listed as not yet covered names the issue that covers it", () => {
    expect([...pending].filter(([, issue]) => issue === undefined).map(([line]) => line)).toEqual([]);
  });

  it.each([...table.keys()])("security line %i names at least one test, and every named test exists", (line) => {
    const references = table.get(line) ?? [];
    expect(references.length, `line ${line} has no test`).toBeGreaterThan(0);
    const missing = references.filter(({ file, title }) => {
      const text = source(file);
      return text === undefined || !titleInSource(text, title);
    });
    expect(missing, `line ${line}: titles not found in their files`).toEqual([]);
  });

  it("the table draws on the tests of every part of the server", () => {
    const files = [...table.values()].flat().map((reference) => reference.file);
    for (const part of ["session", "http", "routes", "gateway", "auth-client", "auth-service", "ops"]) {
      expect(
        files.some((file) => file.startsWith(`test/server/${part}/`)),
        part,
      ).toBe(true);
    }
  });
});
