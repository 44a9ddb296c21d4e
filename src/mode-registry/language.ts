/**
 * The project language the mode checks speak: `js`, `ts`, `python`, `go` or `rust`. Given with
 * `peers init --lang` (aliases accepted), or detected from the project's files with the same
 * detector `peers init` proposes gates from (src/config/detect-project.ts). Pure.
 */
import { detectProject, type ProjectFiles } from '../config/detect-project.ts';

export const LANGS = ['js', 'ts', 'python', 'go', 'rust'] as const;
export type Lang = (typeof LANGS)[number];

const ALIASES: Record<string, Lang> = {
  js: 'js', javascript: 'js', node: 'js', nodejs: 'js',
  ts: 'ts', typescript: 'ts',
  py: 'python', python: 'python', python3: 'python',
  go: 'go', golang: 'go',
  rs: 'rust', rust: 'rust',
};

/** The language a `--lang` value names, or undefined when it names none. */
export function normalizeLang(value: string): Lang | undefined {
  return ALIASES[value.trim().toLowerCase()];
}

function isTypeScript(files: ProjectFiles): boolean {
  if (files.exists('tsconfig.json')) return true;
  try {
    const pkg = JSON.parse(files.read('package.json') ?? '{}') as Record<string, Record<string, unknown> | undefined>;
    return 'typescript' in { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
  } catch {
    return false;
  }
}

/** Every language found, first the one whose test suite detect-project proposes first. */
export function detectLangs(files: ProjectFiles): Lang[] {
  const out: Lang[] = [];
  for (const kind of detectProject(files).kinds) {
    if (kind === 'node') out.push(isTypeScript(files) ? 'ts' : 'js');
    else if (kind === 'python' || kind === 'go' || kind === 'rust') out.push(kind);
  }
  return out;
}

export function detectLang(files: ProjectFiles): Lang | undefined {
  return detectLangs(files)[0];
}
