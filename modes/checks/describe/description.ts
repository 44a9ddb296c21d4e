/**
 * The describe mode's gates over SPEC.md, ARCHITECTURE.md and DESIGN.md as committed at HEAD:
 * present (regular files, 500+ bytes), with their required sections (50+ characters each), and
 * converged (the last N commits that touched them since the run began were not substantive).
 */
import { baselineOrFail, describeBaseline } from '../baseline-or-fail.ts';
import { openCheckRepo, type CheckRepo } from '../check-repo.ts';
import type { Check } from '../types.ts';

export const DESCRIPTION_FILES = ['SPEC.md', 'ARCHITECTURE.md', 'DESIGN.md'] as const;
export const MIN_FILE_BYTES = 500;
export const MIN_SECTION_CHARS = 50;
export const REQUIRED_SECTIONS: Record<(typeof DESCRIPTION_FILES)[number], string[]> = {
  'SPEC.md': ['Threat Model', 'Invariants', 'API'],
  'ARCHITECTURE.md': ['Components', 'Data Flow'],
  'DESIGN.md': ['Decisions', 'Tradeoffs'],
};
/** A commit adding this many lines to the three files is still writing them, not refining. */
export const SUBSTANTIVE_ADDED = 100;
/** A commit deleting at least half of what it touches (and at least this many lines) is a rewrite. */
export const SUBSTANTIVE_DELETED_MIN = 20;

/** `## Heading` → body (to the next `##`; `###` stays inside). A repeated heading keeps the last body. */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (name !== undefined) out.set(name, body.join('\n').trim());
  };
  for (const line of text.split('\n')) {
    const h = /^##\s+(.+?)\s*#*\s*$/.exec(line);
    if (h && !line.startsWith('###')) {
      flush();
      name = h[1]!;
      body = [];
    } else if (/^#\s/.test(line)) {
      flush();
      name = undefined;
    } else body.push(line);
  }
  flush();
  return out;
}

function headFiles(repo: CheckRepo, sha: string): Map<string, { mode: string; text: string }> {
  const entries = repo.tree(sha).filter((e) => (DESCRIPTION_FILES as readonly string[]).includes(e.path));
  const texts = repo.blobs(entries.map((e) => e.blob));
  return new Map(entries.map((e) => [e.path, { mode: e.mode, text: texts.get(e.blob) ?? '' }]));
}

export const descriptionFilesPresent: Check = {
  description: `SPEC.md, ARCHITECTURE.md and DESIGN.md are committed regular files of at least ${MIN_FILE_BYTES} bytes.`,
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'description-files: no commits yet' };
    const files = headFiles(repo, head);
    const bad: string[] = [];
    for (const name of DESCRIPTION_FILES) {
      const f = files.get(name);
      if (!f) bad.push(`  ${name}: missing (commit it at the top of the repository)`);
      else if (f.mode === '120000') bad.push(`  ${name}: a symlink; commit the document itself`);
      else if (Buffer.byteLength(f.text) < MIN_FILE_BYTES) bad.push(`  ${name}: ${Buffer.byteLength(f.text)} bytes, fewer than ${MIN_FILE_BYTES}`);
    }
    if (bad.length === 0) return { pass: true, report: `description-files: ${DESCRIPTION_FILES.join(', ')} present` };
    return { pass: false, report: ['description-files:', ...bad].join('\n') };
  },
};

export const descriptionSectionsPresent: Check = {
  description: `Each description file has its required "## " sections, each with at least ${MIN_SECTION_CHARS} characters.`,
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'description-sections: no commits yet' };
    const files = headFiles(repo, head);
    const bad: string[] = [];
    for (const name of DESCRIPTION_FILES) {
      const f = files.get(name);
      if (!f || f.mode === '120000') {
        bad.push(`  ${name}: missing`);
        continue;
      }
      const found = sections(f.text);
      for (const s of REQUIRED_SECTIONS[name]) {
        const body = found.get(s);
        if (body === undefined) bad.push(`  ${name}: no "## ${s}" section`);
        else if (body.length < MIN_SECTION_CHARS) bad.push(`  ${name}: "## ${s}" has ${body.length} characters, fewer than ${MIN_SECTION_CHARS}`);
      }
    }
    if (bad.length === 0) return { pass: true, report: 'description-sections: every required section is written' };
    return { pass: false, report: ['description-sections:', ...bad].join('\n') };
  },
};

export type DocChange = { added: number; deleted: number; newHeadings: string[] };

export function substantive(c: DocChange): string | undefined {
  if (c.newHeadings.length) return `adds section(s) ${c.newHeadings.map((h) => `"## ${h}"`).join(', ')}`;
  if (c.added >= SUBSTANTIVE_ADDED) return `adds ${c.added} lines`;
  if (c.deleted >= SUBSTANTIVE_DELETED_MIN && c.deleted / (c.added + c.deleted) >= 0.5) return `deletes ${c.deleted} of ${c.added + c.deleted} changed lines`;
  return undefined;
}

export const descriptionConverged: Check = {
  description: 'The last N commits that touched the description files since the run began were refinements, not rewrites.',
  async run(repoDir, opts = {}) {
    const n = opts.n && opts.n > 0 ? opts.n : 2;
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'description-converged: no commits yet' };
    const base = baselineOrFail(repo, 'description-converged');
    if ('pass' in base) return base;
    const touching = repo.commits(`${base.sha}..${head}`, { newestFirst: true, paths: [...DESCRIPTION_FILES] }).slice(0, n);
    if (touching.length < n) return { pass: false, report: `description-converged: ${touching.length}/${n} commits touched the description files since ${describeBaseline(base)}; the last ${n} must be refinements` };
    const bad: string[] = [];
    for (const c of touching) {
      const rows = repo.numstat(c.sha).filter((r) => (DESCRIPTION_FILES as readonly string[]).includes(r.path));
      const parent = repo.git(['rev-parse', '--verify', '--quiet', `${c.sha}^1`]).stdout.trim();
      const newHeadings: string[] = [];
      for (const r of rows) {
        const before = parent ? new Set(sections(repo.fileAt(parent, r.path) ?? '').keys()) : new Set<string>();
        for (const h of sections(repo.fileAt(c.sha, r.path) ?? '').keys()) if (!before.has(h)) newHeadings.push(h);
      }
      const why = substantive({ added: rows.reduce((a, r) => a + r.added, 0), deleted: rows.reduce((a, r) => a + r.deleted, 0), newHeadings });
      if (why) bad.push(`  ${c.sha.slice(0, 8)} "${c.subject.slice(0, 60)}" ${why}`);
    }
    if (bad.length === 0) return { pass: true, report: `description-converged: the last ${n} commits to the description files were refinements` };
    return { pass: false, report: [`description-converged: of the last ${n} commits to the description files, ${bad.length} still changed them substantially:`, ...bad].join('\n') };
  },
};
