/**
 * The document mode's files: CODEMAP.yaml at the top of the repository (the shape the loop's own
 * codemap writes, plus a summary per entry) and ARCHITECTURE.md anchored to it with `[[id]]`.
 * Schemas, the seeds `peers init --modes document` commits, and the pure rules the gates apply.
 */
import { posix } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import type { CodeSymbol } from '../../codemap/types.ts';

export const CODEMAP_FILE = 'CODEMAP.yaml';
export const ARCHITECTURE_FILE = 'ARCHITECTURE.md';
export const UNWRITTEN = '<!-- TODO: write this section -->';
const KINDS = ['function', 'class', 'method', 'interface', 'type', 'enum', 'const', 'variable', 'namespace', 'struct', 'trait'] as const;

export const CodemapEntrySchema = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(KINDS),
  file: z.string().min(1),
  line: z.number().int().positive(),
  signature: z.string().optional(),
  summary: z.string().optional(),
});
export const CodemapFileSchema = z.strictObject({ files_scanned: z.number().int().min(0).optional(), entries: z.array(CodemapEntrySchema) });
export type CodemapEntry = z.output<typeof CodemapEntrySchema>;

export function parseCodemapFile(text: string): { entries: CodemapEntry[] } | { error: string } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    return { error: `${CODEMAP_FILE} is not YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  const r = CodemapFileSchema.safeParse(doc);
  if (!r.success) {
    const first = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    return { error: `${CODEMAP_FILE} does not match its schema: ${first.join('; ')}` };
  }
  return { entries: r.data.entries };
}

/** The seed: every public symbol with its place and signature, no summaries yet. */
export function seedCodemap(symbols: CodeSymbol[]): string {
  const entries = symbols.map((s) => ({ id: s.id, kind: s.kind, file: s.file, line: s.line, signature: s.signature, summary: '' }));
  return `# The map of this project's public symbols (peers document mode). Never edit id, kind, file,\n# line or signature by hand; write each summary: what the symbol does, returns and refuses.\n${stringify({ entries }, { lineWidth: 0 })}`;
}

export function seedArchitecture(symbols: CodeSymbol[], title: string): string {
  const dirs = [...new Set(symbols.map((s) => posix.dirname(s.file)))].sort();
  const example = symbols[0]?.id ?? 'src/file.ts:name';
  const section = (name: string) => `## ${name}\n\n${UNWRITTEN}\n`;
  return [
    `# ${title}: architecture`,
    '',
    `Anchor every claim to the code with a CODEMAP id in double brackets, for example:`,
    '',
    '```',
    `[[${example}]]`,
    '```',
    '',
    '## Subsystems to cover',
    '',
    ...dirs.map((d) => `- [ ] ${d}/`),
    '',
    section('Overview'),
    section('Subsystem map'),
    section('Data and control flow'),
    section('Run lifecycle'),
    section('Invariants'),
  ].join('\n');
}

export type Finding = string;

export function groundingFindings(entries: CodemapEntry[], real: CodeSymbol[]): Finding[] {
  const byId = new Map(real.map((s) => [s.id, s]));
  const out: Finding[] = [];
  for (const e of entries) {
    const s = byId.get(e.id);
    if (!s) out.push(`${e.id}: no such public symbol in the source`);
    else if (s.kind !== e.kind || s.file !== e.file || s.line !== e.line) out.push(`${e.id}: the source has ${s.kind} at ${s.file}:${s.line}, the map says ${e.kind} at ${e.file}:${e.line}`);
  }
  return out;
}

export function signatureFindings(entries: CodemapEntry[], real: CodeSymbol[]): Finding[] {
  const byId = new Map(real.map((s) => [s.id, s]));
  return entries.filter((e) => e.signature !== undefined && byId.has(e.id) && byId.get(e.id)!.signature !== e.signature).map((e) => `${e.id}: signature is ${byId.get(e.id)!.signature}, the map says ${e.signature}`);
}

export function completenessFindings(entries: CodemapEntry[], real: CodeSymbol[]): Finding[] {
  const have = new Set(entries.map((e) => e.id));
  return real.filter((s) => !have.has(s.id)).map((s) => `${s.id}: missing (${s.kind} at ${s.file}:${s.line})`);
}

const PLACEHOLDERS = new Set(['todo', 'tbd', 'fixme', 'xxx', '...', '…', 'n/a', 'na', 'tk', 'wip', '?', 'none', 'summary']);

export function summaryFindings(entries: CodemapEntry[]): Finding[] {
  const out: Finding[] = [];
  for (const e of entries) {
    const s = (e.summary ?? '').trim();
    const name = e.id.slice(e.id.lastIndexOf(':') + 1).split('.').pop() ?? '';
    if (!s) out.push(`${e.id}: no summary`);
    else if (PLACEHOLDERS.has(s.toLowerCase()) || s.split(/\s+/).length < 3) out.push(`${e.id}: summary "${s.slice(0, 40)}" is a placeholder or under three words`);
    else if (s.replace(/[^a-z0-9]/gi, '').toLowerCase() === name.toLowerCase()) out.push(`${e.id}: summary only repeats the name`);
  }
  return out;
}

/** `[[id]]` anchors outside fenced code blocks. */
export function anchorsIn(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) for (const m of line.matchAll(/\[\[([^\]\n]+)\]\]/g)) out.push(m[1]!.trim());
  }
  return out;
}

export function architectureFindings(markdown: string, real: CodeSymbol[]): Finding[] {
  const out: Finding[] = [];
  if (markdown.includes(UNWRITTEN)) out.push(`a section still says ${UNWRITTEN}`);
  const byId = new Map(real.map((s) => [s.id, s]));
  const anchors = anchorsIn(markdown);
  for (const a of new Set(anchors)) if (!byId.has(a)) out.push(`[[${a}]] is not a public symbol of the source (a CODEMAP id such as [[${real[0]?.id ?? 'src/x.ts:name'}]])`);
  const anchoredDirs = new Set(anchors.filter((a) => byId.has(a)).map((a) => posix.dirname(byId.get(a)!.file)));
  for (const d of [...new Set(real.map((s) => posix.dirname(s.file)))].sort()) if (!anchoredDirs.has(d)) out.push(`${d}/ has public symbols but no [[anchor]] to any of them`);
  return out;
}
