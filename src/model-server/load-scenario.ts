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

function readScenarioText(path: string): string {
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
  const problems = result.error.issues.slice(0, 20).map((issue) => {
    const where = issue.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '');
    const message = issue.code === 'invalid_union' ? 'not a valid entry here (see the scenario schema in src/model-server/scenario-schema.ts)' : issue.message;
    return new InputError(`${where ? `${where}: ` : ''}${message}`, { location: at(nodeAt(doc, issue.path)?.range?.[0]) });
  });
  throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
}

export function loadScenarioFile(path: string): Scenario {
  return parseScenario(readScenarioText(path), path);
}
