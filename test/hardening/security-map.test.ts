// Issue 6: docs/security.md maps each of the 27 lines of the security bar to named tests. This test
// keeps that table honest: every line 1-27 has a row with at least one test, every named test file
// exists, and every named title appears (as a quoted string) in that file's source. When the shared
// security.md is at hand (../shared/security.md from the repository), its numbered lines must be
// exactly the table's.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const MAP = path.join(ROOT, "docs/security.md");
const SHARED = path.resolve(ROOT, "../shared/security.md");
const LINES = Array.from({ length: 27 }, (_, i) => i + 1);

interface Reference {
  file: string;
  title: string;
}

function readTable(): Map<number, Reference[]> {
  const rows = new Map<number, Reference[]>();
  for (const line of readFileSync(MAP, "utf8").split("\n")) {
    const row = /^\|\s*(\d+)\s*\|(.*)\|\s*$/.exec(line);
    if (!row) continue;
    const number = Number(row[1]);
    if (rows.has(number)) throw new Error(`line ${number} has two rows in docs/security.md`);
    const cells = row[2]!.split(/\s\|\s/);
    const tests = cells.at(-1)!;
    const references = [...tests.matchAll(/`(test\/[^`]+\.test\.ts)` › "(.+?)"(?=<br>|\s*$)/g)].map((m) => ({ file: m[1]!, title: m[2]! }));
    const written = tests.split("›").length - 1;
    if (written !== references.length) throw new Error(`line ${number}: ${written} references written, ${references.length} readable (format: \`file\` › "title")`);
    rows.set(number, references);
  }
  return rows;
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

describe("docs/security.md maps every line of the security bar to existing tests", () => {
  const table = readTable();

  it("has exactly one row for each of the 27 lines", () => {
    expect([...table.keys()].sort((a, b) => a - b)).toEqual(LINES);
  });

  it.each(LINES)("security line %i names at least one test, and every named test exists", (line) => {
    const references = table.get(line) ?? [];
    expect(references.length, `line ${line} has no test`).toBeGreaterThan(0);
    const missing = references.filter(({ file, title }) => {
      const text = source(file);
      return text === undefined || !titleInSource(text, title);
    });
    expect(missing, `line ${line}: titles not found in their files`).toEqual([]);
  });

  it("the table covers the test suites of every part: test/server, test/gateway, test/hardening, test/auth-service", () => {
    const files = [...table.values()].flat().map((reference) => reference.file);
    for (const suite of ["test/server/", "test/gateway/", "test/hardening/", "test/auth-service/"]) {
      expect(files.some((file) => file.startsWith(suite)), suite).toBe(true);
    }
  });

  it.runIf(existsSync(SHARED))("the shared security.md has exactly these 27 numbered lines", () => {
    const numbered = readFileSync(SHARED, "utf8")
      .split("\n")
      .map((line) => /^(\d+)\.\s/.exec(line)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    expect(numbered).toEqual(LINES);
  });
});
