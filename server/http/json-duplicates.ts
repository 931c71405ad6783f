// Finds a key that appears twice in one JSON object. JSON.parse silently keeps the last one, which
// lets two parsers (ours and the auth service's) read one body differently; we refuse such bodies.
// Scans text that JSON.parse has accepted or will judge: malformed input simply yields null here.

export function findDuplicateKey(text: string): string | null {
  const stack: Array<Set<string> | null> = []; // a Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === "[") {
      stack.push(null);
      expectKey = false;
    } else if (ch === "}" || ch === "]") {
      stack.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return null;
        }
        const keys = stack[stack.length - 1];
        if (keys) {
          if (keys.has(key)) return key;
          keys.add(key);
        }
        expectKey = false;
      }
      i = end;
    }
  }
  return null;
}
