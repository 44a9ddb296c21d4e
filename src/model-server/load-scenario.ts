/**
 * Reads a scenario file and validates it, reporting every problem as `file:line:column: message`
 * (exit 2). The YAML is kept as a Document so each zod issue path maps back to the node written.
 */
import { InputError, InputErrors } from '../cli/errors.ts';
import { deepestNode, locationAt, MAX_PROBLEMS, parseYaml, readYamlText } from '../config/yaml-source.ts';
import { MiB } from '../fs/safe-read.ts';
import { ScenarioSchema, type Scenario } from './scenario-schema.ts';

const SCENARIO_FILE_LIMIT = 8 * MiB;
/** What a user of the binary alone can start from (the repository's example files are not shipped). */
export const SCENARIO_MISSING_HINT =
  '`peers demo --keep` leaves a complete one to copy (model-server/scenario.yaml beside the demo project, printed in its "Look further" lines); README.md, "Rehearse offline", describes the format';
const SCENARIO_FILE = { what: 'scenario file', hint: 'replace it with a regular YAML file', missingHint: SCENARIO_MISSING_HINT };

/** A scenario file's text (a rehearsal reads it to check it before the pod starts). */
export function readScenarioText(path: string): string {
  return readYamlText(path, SCENARIO_FILE_LIMIT, SCENARIO_FILE);
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

/** Parses a scenario with the limits of every user-written YAML file (src/config/yaml-source.ts). */
export function parseScenario(text: string, file: string): Scenario {
  const { doc, counter, data } = parseYaml(text, file, { maxBytes: SCENARIO_FILE_LIMIT }, {});
  const result = ScenarioSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, MAX_PROBLEMS).map((raw) => {
    const { path, message } = explain(raw as unknown as Issue);
    const where = path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '');
    return new InputError(`${where ? `${where}: ` : ''}${message}`, { location: locationAt(counter, file, deepestNode(doc, path)?.range?.[0]) });
  });
  throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
}

export function loadScenarioFile(path: string): Scenario {
  return parseScenario(readScenarioText(path), path);
}
