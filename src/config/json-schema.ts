/**
 * JSON Schemas for config.yaml and goals.yaml, generated from the zod schemas (descriptions
 * included) so editors complete and check exactly what the loader accepts. `peers init` writes them
 * next to the files; the templates point at them with a yaml-language-server comment.
 */
import { z } from 'zod';
import { ConfigSchema } from './config-schema.ts';
import { GoalsSchema } from './goals-schema.ts';

export const SCHEMA_KINDS = ['config', 'goals'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

export function jsonSchemaFor(kind: SchemaKind): Record<string, unknown> {
  const schema = kind === 'config' ? ConfigSchema : GoalsSchema;
  // io 'input': what the user writes (keys with defaults are optional), not what the loader returns.
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...generated,
    $id: `https://peers.local/schema/${kind}.schema.json`,
    title: kind === 'config' ? 'peers config.yaml' : 'peers goals.yaml',
  };
}

export function jsonSchemaText(kind: SchemaKind): string {
  return `${JSON.stringify(jsonSchemaFor(kind), null, 2)}\n`;
}
