/**
 * Which keys a zod schema allows at a given path of a document, so an unknown key can be answered
 * with "did you mean …?" and the list of allowed keys. Walks zod v4's public `_zod.def` tree.
 */
import type { z } from 'zod';

type AnyDef = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[]; valueType?: z.ZodType };

function def(schema: z.ZodType): AnyDef {
  return (schema as unknown as { _zod: { def: AnyDef } })._zod.def;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const d = def(s);
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** For a union of objects, the member whose literal `type` matches the data, else all members. */
function unionMembers(schema: z.ZodType, data: unknown): z.ZodType[] {
  const options = (def(schema).options ?? []).map(unwrap);
  const tag = data && typeof data === 'object' ? (data as Record<string, unknown>).type : undefined;
  const matching = options.filter((o) => {
    const t = def(o).shape?.type;
    const values = t ? (t as unknown as { _zod: { values?: Set<unknown> } })._zod.values : undefined;
    return values?.has(tag);
  });
  return matching.length ? matching : options;
}

/** Allowed keys of the object at `path` in `data` (validated by `schema`), or [] if not an object. */
export function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  let candidates = [unwrap(schema)];
  let value = data;
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const c of candidates.flatMap((s) => (def(s).type === 'union' ? unionMembers(s, value) : [s]))) {
      const d = def(c);
      if (d.type === 'object' && d.shape && typeof seg === 'string' && d.shape[seg]) next.push(unwrap(d.shape[seg]));
      if (d.type === 'array' && d.element && typeof seg === 'number') next.push(unwrap(d.element));
      if (d.type === 'record' && d.valueType) next.push(unwrap(d.valueType));
    }
    candidates = next;
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg as string] : undefined;
  }
  const keys = new Set<string>();
  for (const c of candidates.flatMap((s) => (def(s).type === 'union' ? unionMembers(s, value) : [s]))) {
    for (const k of Object.keys(def(c).shape ?? {})) keys.add(k);
  }
  return [...keys];
}
