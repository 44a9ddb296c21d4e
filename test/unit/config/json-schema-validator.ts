/**
 * A small JSON Schema (2020-12) checker for the keywords z.toJSONSchema emits, so the test can ask
 * "would an editor accept this file?" without adding a validator dependency. Returns error strings
 * `pointer: problem`; an unsupported keyword throws, so the test cannot pass by ignoring one.
 */
type Schema = Record<string, unknown>;
const KNOWN = new Set([
  '$schema', '$id', 'title', 'description', 'default', 'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const',
  'pattern', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'anyOf', 'oneOf', 'propertyNames',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validateJsonSchema(schema: Schema, value: unknown, at = ''): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`validator does not support keyword ${k} at ${at || '/'}`);
  const errors: string[] = [];
  const where = at || '/';
  if (schema.type !== undefined) {
    const t = typeOf(value);
    const ok = schema.type === t || (schema.type === 'number' && t === 'integer');
    if (!ok) return [`${where}: expected ${String(schema.type)}, got ${t}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${where}: not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value) errors.push(`${where}: expected ${JSON.stringify(schema.const)}`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern as string, 'u').test(value)) errors.push(`${where}: does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${where}: too short`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${where}: too long`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${where}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${where}: above maximum`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) errors.push(`${where}: not above ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) errors.push(`${where}: not below ${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${where}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`${where}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((item, i) => errors.push(...validateJsonSchema(schema.items as Schema, item, `${at}/${i}`)));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const req of (schema.required ?? []) as string[]) if (!(req in obj)) errors.push(`${where}: missing ${req}`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...validateJsonSchema(props[k]!, v, `${at}/${k}`));
      else if (schema.additionalProperties === false) errors.push(`${where}: unexpected key ${k}`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') errors.push(...validateJsonSchema(schema.additionalProperties as Schema, v, `${at}/${k}`));
      if (schema.propertyNames) errors.push(...validateJsonSchema(schema.propertyNames as Schema, k, `${at}/${k}(name)`));
    }
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (!options) continue;
    const passing = options.filter((o) => validateJsonSchema(o, value, at).length === 0).length;
    if (key === 'anyOf' ? passing === 0 : passing !== 1) {
      errors.push(`${where}: matches ${passing} of the ${key} alternatives`, ...options.flatMap((o) => validateJsonSchema(o, value, at)));
    }
  }
  return errors;
}
