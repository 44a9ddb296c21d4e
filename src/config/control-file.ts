/**
 * Reads and validates a control file of `.peers/` (config.yaml, goals.yaml). Every problem is
 * reported the way a compiler would: `file:line:column: message`, all problems of a file at once,
 * exit 2. YAML is parsed into a Document (not plain JS) so each zod issue path can be mapped back to
 * the exact node the user wrote. Each file's schema is its caller's (load.ts, goals-file.ts), so
 * reading the goals does not build the config's schema.
 */
import { isMap, isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { InputError, InputErrors } from '../cli/errors.ts';
import type { FileKind } from '../fs/file-errors.ts';
import { MiB } from '../fs/safe-read.ts';
import { didYouMean } from '../cli/did-you-mean.ts';
import type { PassWhenIssueParams } from './goals-schema.ts';
import { allowedKeysAt } from './schema-keys.ts';
import { locate, locationAt, MAX_PROBLEMS, pairFor, parseYaml, readYamlText } from './yaml-source.ts';

export const CONTROL_FILE_LIMIT = 2 * MiB;

/** Keys of the Python peers' config.yaml that exist here under another name. */
const RENAMED_KEYS: Record<string, string> = { max_iterations: 'max_ticks', buf_cap_bytes: 'output_cap_bytes', tools: 'peers', egress_allow: 'egress' };

export const RESTORE = 'restore it, or start over with `peers init --force` (replaces .peers/)';

/** Offset in the file of character `offset` of a scalar's value (quoted or block scalars shift it). */
function scalarCharOffset(text: string, node: Node, offset: number): number {
  const [start, end] = node.range ?? [0, 0];
  const raw = text.slice(start, end);
  const value = isScalar(node) ? String(node.value) : '';
  const trimmedValue = value.trim();
  const leading = value.length - value.trimStart().length;
  const at = raw.indexOf(trimmedValue);
  if (at >= 0) return start + at + Math.max(0, offset - leading);
  // Escapes or folding changed the text: the node's first line is the best we can honestly say.
  return start;
}

function pathLabel(path: readonly PropertyKey[]): string {
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '');
}

function issueToErrors(issue: z.core.$ZodIssue, doc: Document, counter: LineCounter, text: string, file: string, schema: z.ZodType, data: unknown): InputError[] {
  // No node to point at (an empty or comment-only file): its first line is where the key belongs.
  const at = (node: Node | undefined, charOffset?: number) => locationAt(counter, file, charOffset ?? node?.range?.[0]);
  const where = pathLabel(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const { node } = locate(doc, issue.path);
    const allowed = allowedKeysAt(schema, issue.path, data);
    // Keys come in document order and only the first MAX_PROBLEMS are shown: 50,000 unknown keys
    // cost 20 messages, not 50,000 did-you-mean searches.
    return issue.keys.slice(0, MAX_PROBLEMS).map((key) => {
      const keyNode = isMap(node) ? (pairFor(node, key)?.key as Node | undefined) : undefined;
      const guess = (RENAMED_KEYS[key] && allowed.includes(RENAMED_KEYS[key]) ? RENAMED_KEYS[key] : undefined) ?? didYouMean(key, allowed);
      const scope = where ? ` in ${where}` : '';
      return new InputError(`unknown key '${key}'${scope}${guess ? `; did you mean ${guess}?` : ''}`, {
        location: at(keyNode ?? node),
        hint: guess ? undefined : `allowed keys: ${allowed.join(', ')}`,
      });
    });
  }
  const located = locate(doc, issue.path);
  if (!located.node) {
    // The key is absent: point at the mapping that should contain it.
    const last = issue.path[issue.path.length - 1];
    const message = typeof last === 'string' && issue.code !== 'custom' ? `missing required key '${last}'` : issue.message;
    const parentPath = issue.path.slice(0, -1);
    return [new InputError(`${message}${parentPath.length ? ` in ${pathLabel(parentPath)}` : ''}`, { location: at(located.keyNode ?? located.parent) })];
  }
  const params = (issue as { params?: Partial<PassWhenIssueParams> }).params;
  if (params?.passWhenOffset !== undefined) {
    return [new InputError(`${where}: ${issue.message}`, { location: at(located.node, scalarCharOffset(text, located.node, params.passWhenOffset)) })];
  }
  if (issue.code === 'invalid_union' && isMap(located.node)) {
    // A goal whose `type` is neither hard nor soft: point at the type itself.
    const typeNode = pairFor(located.node, 'type');
    const value = isScalar(typeNode?.value) ? typeNode.value.value : undefined;
    return [new InputError(`${where}: type must be 'hard' or 'soft'${value === undefined ? ' (missing)' : `, not '${String(value)}'`}`, { location: at((typeNode?.value as Node) ?? located.node) })];
  }
  return [new InputError(`${where ? `${where}: ` : ''}${issue.message}`, { location: at(located.node), hint: quoteHint(issue, located.node, text) })];
}

/**
 * A string field given an unquoted `true`/`false`, a number or `null` (`cmd: true`,
 * the shell's `true`; `name: 2024`): YAML read a value that is not text, so say how to write it.
 */
function quoteHint(issue: z.core.$ZodIssue, node: Node, text: string): string | undefined {
  if (issue.code !== 'invalid_type' || issue.expected !== 'string' || !isScalar(node) || node.value === undefined || typeof node.value === 'string') return undefined;
  // An explicit tag (`cmd: !!binary …`) made it so: quoting the value would not help, the tag must go.
  if (node.tag) return `the tag ${node.tag.replace(/^tag:yaml\.org,2002:/, '!!')} makes YAML read this as ${valueKind(node.value)}, not text: remove the tag`;
  const written = node.range ? text.slice(node.range[0], node.range[1]).trim() : String(node.value);
  const key = issue.path[issue.path.length - 1];
  return `YAML reads an unquoted ${written} as ${node.value === null ? 'null' : `a ${typeof node.value}`}, not text: quote it (${typeof key === 'string' ? `${key}: ` : ''}'${written}')`;
}

function valueKind(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'binary data';
  return typeof value === 'number' || typeof value === 'bigint' ? 'a number' : `a ${typeof value}`;
}

export function parseAndValidate<S extends z.ZodType>(path: string, kind: FileKind, schema: S, emptyValue: unknown): z.output<S> {
  const { doc, counter, text, data } = parseYaml(readYamlText(path, CONTROL_FILE_LIMIT, kind), path, { maxBytes: CONTROL_FILE_LIMIT }, emptyValue);
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => issueToErrors(issue, doc, counter, text, path, schema, data));
  problems.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
  const shown = problems.slice(0, MAX_PROBLEMS);
  throw shown.length === 1 ? shown[0]! : new InputErrors(shown);
}
