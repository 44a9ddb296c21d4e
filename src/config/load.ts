/**
 * Reads and validates `.peers/config.yaml` and `.peers/goals.yaml`. Every problem is reported the
 * way a compiler would: `file:line:column: message`, all problems of a file at once, exit 2. YAML
 * is parsed into a Document (not plain JS) so each zod issue path can be mapped back to the exact
 * node the user wrote.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { InputError, InputErrors } from '../cli/errors.ts';
import { UnsafePathError } from '../fs/atomic-write.ts';
import { findWorkTreeRoot } from '../git/repo-layout.ts';
import { FileTooLargeError, MiB, readTextCapped } from '../fs/safe-read.ts';
import { ConfigSchema, type PeersConfig } from './config-schema.ts';
import { didYouMean } from './did-you-mean.ts';
import { GoalsSchema, type GoalsFile, type PassWhenIssueParams } from './goals-schema.ts';
import { allowedKeysAt } from './schema-keys.ts';

export const CONTROL_FILE_LIMIT = 2 * MiB;
/** More problems than this are noise; the user fixes the first ones and re-runs. */
const MAX_PROBLEMS = 20;

/** Keys of the Python peers' config.yaml that exist here under another name. */
const RENAMED_KEYS: Record<string, string> = { max_iterations: 'max_ticks', buf_cap_bytes: 'output_cap_bytes', tools: 'peers', egress_allow: 'egress' };

type Located = { node?: Node; keyNode?: Node; parent?: Node };

export type LoadedProject = { config: PeersConfig; goals: GoalsFile; dir: string; configPath: string; goalsPath: string };

function readControlFile(path: string): string {
  // Opening a FIFO for reading blocks until a writer appears: `peers info` would hang, not report.
  let kind: ReturnType<typeof lstatSync> | undefined;
  try {
    kind = lstatSync(path);
  } catch {
    // Missing or unreadable: the read below reports it precisely.
  }
  if (kind && !kind.isFile() && !kind.isSymbolicLink()) {
    throw new InputError(`refusing to use ${path}: it is not a regular file`, { location: { file: path }, hint: 'replace it with a regular file' });
  }
  try {
    return readTextCapped(path, CONTROL_FILE_LIMIT);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError('file not found', { location: { file: path }, hint: 'restore it, or start over with `peers init --force` (replaces .peers/)' });
    if (error instanceof FileTooLargeError) throw new InputError(`file is larger than ${CONTROL_FILE_LIMIT} bytes`, { location: { file: path } });
    if (error instanceof UnsafePathError) throw new InputError(error.message, { location: { file: path }, hint: 'replace it with a regular file' });
    if (code === 'EACCES') throw new InputError('permission denied', { location: { file: path } });
    throw error;
  }
}

/** Follows an issue path through maps and sequences as far as the document goes. */
function locate(doc: Document, path: readonly PropertyKey[]): Located {
  let node: Node | undefined = doc.contents ?? undefined;
  let parent: Node | undefined;
  let keyNode: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) return { parent: node };
      parent = node;
      keyNode = pair.key as Node;
      node = (pair.value ?? undefined) as Node | undefined;
      if (!node) return { parent, keyNode };
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return { parent: node };
      parent = node;
      keyNode = undefined;
      node = item;
    } else {
      return { parent: node };
    }
  }
  return { node, keyNode, parent };
}

function position(counter: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = counter.linePos(offset);
  return { line, column: col };
}

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
  const at = (node: Node | undefined, charOffset?: number) => {
    const offset = charOffset ?? node?.range?.[0];
    // No node to point at (an empty or comment-only file): its first line is where the key belongs.
    return offset === undefined ? { file, line: 1, column: 1 } : { file, ...position(counter, offset) };
  };
  const where = pathLabel(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const { node } = locate(doc, issue.path);
    const allowed = allowedKeysAt(schema, issue.path, data);
    return issue.keys.map((key) => {
      const keyNode = isMap(node) ? (node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key)?.key as Node | undefined) : undefined;
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
    const typeNode = located.node.items.find((p) => isScalar(p.key) && p.key.value === 'type');
    const value = isScalar(typeNode?.value) ? typeNode.value.value : undefined;
    return [new InputError(`${where}: type must be 'hard' or 'soft'${value === undefined ? ' (missing)' : `, not '${String(value)}'`}`, { location: at((typeNode?.value as Node) ?? located.node) })];
  }
  return [new InputError(`${where ? `${where}: ` : ''}${issue.message}`, { location: at(located.node) })];
}

function parseAndValidate<S extends z.ZodType>(path: string, schema: S, emptyValue: unknown): z.output<S> {
  const text = readControlFile(path);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.slice(0, MAX_PROBLEMS).map(
      (e) => new InputError(`YAML syntax error: ${e.message.split('\n')[0]}`, { location: { file: path, ...position(counter, e.pos[0]) } }),
    );
    throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
  }
  let data: unknown = emptyValue;
  try {
    if (doc.contents !== null) data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The yaml library refuses alias bombs ("billion laughs") while expanding: bad input, not a crash.
    throw new InputError(`YAML aliases expand too far: ${(error as Error).message}`, { location: { file: path, line: 1, column: 1 }, hint: 'write the values out instead of nesting aliases (*name) of aliases' });
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => issueToErrors(issue, doc, counter, text, path, schema, data));
  problems.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
  const shown = problems.slice(0, MAX_PROBLEMS);
  throw shown.length === 1 ? shown[0]! : new InputErrors(shown);
}

export function loadConfigFile(path: string): PeersConfig {
  return parseAndValidate(path, ConfigSchema, {});
}

export function loadGoalsFile(path: string): GoalsFile {
  return parseAndValidate(path, GoalsSchema, { goals: [] });
}

/** Loads both control files of the project at `repoDir`; all problems of both files at once. */
export function loadProject(repoDir: string): LoadedProject {
  const dir = join(repoDir, '.peers');
  if (!existsSync(dir)) {
    throw new InputError(`no .peers/ directory in ${repoDir}`, { hint: 'run `peers init` in the repository first' });
  }
  if (lstatSync(dir).isSymbolicLink()) throw new InputError('.peers is a symlink; refusing to read through it', { location: { file: dir } });
  const configPath = join(dir, 'config.yaml');
  const goalsPath = join(dir, 'goals.yaml');
  const problems: InputError[] = [];
  let config: PeersConfig | undefined;
  let goals: GoalsFile | undefined;
  try {
    config = loadConfigFile(configPath);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(...(error instanceof InputErrors ? error.problems : [error]));
  }
  try {
    goals = loadGoalsFile(goalsPath);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(...(error instanceof InputErrors ? error.problems : [error]));
  }
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new InputErrors(problems);
  return { config: config!, goals: goals!, dir, configPath, goalsPath };
}

/** The repository a command acts on: the top of the git repo containing `start`, else `start`. */
export function projectDirFrom(start: string): string {
  const dir = resolve(start);
  if (!existsSync(dir)) throw new InputError(`${start} does not exist`, { hint: 'pass an existing project directory with -C DIR' });
  // Found without git: the directory may be a repository a peer wrote (the host loop's).
  return findWorkTreeRoot(dir) ?? dir;
}
