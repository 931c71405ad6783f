// Checks a JSON value against a JSON Schema (draft-07), for the keywords the Custom Elements
// Manifest schema uses: $ref into #/definitions, anyOf, enum, type, properties, required, items,
// additionalProperties. Returns every mismatch with its path; an unknown keyword is an error, so a
// schema that needs more than this cannot pass by accident.

type Schema = { [keyword: string]: unknown };

const KNOWN = new Set([
  "$schema",
  "$ref",
  "definitions",
  "description",
  "anyOf",
  "enum",
  "type",
  "properties",
  "required",
  "items",
  "additionalProperties",
  "default",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

export function validate(value: unknown, root: Schema): string[] {
  const errors: string[] = [];
  const check = (node: unknown, schema: Schema, at: string): void => {
    for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) errors.push(`${at}: schema keyword ${keyword} is not supported`);
    if (typeof schema.$ref === "string") {
      const name = /^#\/definitions\/(.+)$/.exec(schema.$ref)?.[1];
      const target = name ? (root.definitions as Record<string, Schema>)[name] : undefined;
      if (!target) errors.push(`${at}: unresolvable $ref ${schema.$ref}`);
      else check(node, target, at);
    }
    if (Array.isArray(schema.anyOf)) {
      const fits = (schema.anyOf as Schema[]).some((option) => validate(node, { ...option, definitions: root.definitions }).length === 0);
      if (!fits) errors.push(`${at}: matches none of anyOf`);
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(node))
      errors.push(`${at}: ${JSON.stringify(node)} is not one of ${JSON.stringify(schema.enum)}`);
    if (schema.type !== undefined) {
      const types = ([] as unknown[]).concat(schema.type);
      const actual = typeOf(node);
      if (!types.includes(actual) && !(actual === "integer" && types.includes("number")))
        errors.push(`${at}: expected ${types.join(" or ")}, got ${actual}`);
    }
    if (typeOf(node) === "object") {
      const object = node as Record<string, unknown>;
      for (const key of (schema.required as string[] | undefined) ?? [])
        if (!(key in object)) errors.push(`${at}: missing required ${key}`);
      const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
      for (const [key, child] of Object.entries(object)) {
        if (properties[key]) check(child, properties[key], `${at}.${key}`);
        else if (schema.additionalProperties === false) errors.push(`${at}: unexpected property ${key}`);
      }
    }
    if (Array.isArray(node) && schema.items && typeof schema.items === "object") {
      node.forEach((item, index) => check(item, schema.items as Schema, `${at}[${index}]`));
    }
  };
  check(value, root, "$");
  return errors;
}
