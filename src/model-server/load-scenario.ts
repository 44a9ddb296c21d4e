/**
 * Reads a scenario file and validates it, reporting every problem as `file:line:column: message`
 * (exit 2). The YAML is kept as a Document so each zod issue path maps back to the node written.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { InputError, InputErrors } from '../cli/errors.ts';
import { UnsafePathError } from '../fs/atomic-write.ts';
import { FileTooLargeError, MiB, readTextCapped } from '../fs/safe-read.ts';
import { ScenarioSchema, type Scenario } from './scenario-schema.ts';

const SCENARIO_FILE_LIMIT = 8 * MiB;

/** The deepest node the issue path reaches (the parent mapping when a key is missing). */
function nodeAt(doc: Document, path: readonly PropertyKey[]): Node | undefined {
  let node: Node | undefined = (doc.contents ?? undefined) as Node | undefined;
  for (const seg of path) {
    let next: Node | undefined;
    if (isMap(node)) next = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg)?.value as Node | undefined;
    else if (isSeq(node) && typeof seg === 'number') next = node.items[seg] as Node | undefined;
    if (!next) return node;
    node = next;
  }
  return node;
}

export function readScenarioText(path: string): string {
  try {
    return readTextCapped(path, SCENARIO_FILE_LIMIT);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError('scenario file not found', { location: { file: path }, hint: 'see test/fixtures/scenarios/rehearsal.yaml for an example' });
    if (error instanceof FileTooLargeError) throw new InputError(`scenario file is larger than ${SCENARIO_FILE_LIMIT} bytes`, { location: { file: path } });
    if (error instanceof UnsafePathError) throw new InputError(error.message, { location: { file: path } });
    if (code === 'EACCES') throw new InputError('permission denied', { location: { file: path } });
    throw error;
  }
}

type Issue = { code: string; path: PropertyKey[]; message: string; errors?: Issue[][]; keys?: string[] };

const UNION_NAMES: Record<string, string> = {
  replies: 'a reply needs tool_calls (and optional text), text, or fault',
  tool_calls: 'a tool call is one of shell, write, edit, read, apply_patch or tool',
};

/**
 * A union failure says little by itself. When exactly one alternative matched the keys written
 * (its problems are all deeper down), report that alternative's problem; otherwise name the
 * alternatives and the keys nobody expected.
 */
function explain(issue: Issue): { path: PropertyKey[]; message: string } {
  const last = issue.path[issue.path.length - 1];
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined') && typeof last === 'string') {
    return { path: issue.path.slice(0, -1), message: `missing required key '${last}'` };
  }
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return { path: issue.path, message: issue.message };
  const shallow = (branch: Issue[]) => branch.filter((i) => i.path.length <= 1).length;
  const ranked = [...issue.errors].sort((a, b) => shallow(a) - shallow(b));
  const best = ranked[0]!;
  if (shallow(best) === 0 && (ranked.length === 1 || shallow(ranked[1]!) > 0) && best[0]) {
    const inner = explain(best[0]);
    return { path: [...issue.path, ...inner.path], message: inner.message };
  }
  const unknown = [...new Set(issue.errors.flat().flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? (i.keys ?? []) : [])))];
  const container = [...issue.path].reverse().find((s) => typeof s === 'string') as string | undefined;
  const what = (container && UNION_NAMES[container]) ?? 'not a valid entry here';
  return { path: issue.path, message: `${what}${unknown.length ? `; unknown key(s): ${unknown.join(', ')}` : ''}` };
}

export function parseScenario(text: string, file: string): Scenario {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return { file };
    const { line, col } = counter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.slice(0, 20).map((e) => new InputError(`YAML syntax error: ${e.message.split('\n')[0]}`, { location: at(e.pos[0]) }));
    throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
  }
  const result = ScenarioSchema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 20).map((raw) => {
    const { path, message } = explain(raw as unknown as Issue);
    const where = path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '');
    return new InputError(`${where ? `${where}: ` : ''}${message}`, { location: at(nodeAt(doc, path)?.range?.[0]) });
  });
  throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
}

export function loadScenarioFile(path: string): Scenario {
  return parseScenario(readScenarioText(path), path);
}
