/**
 * Every benchmark owns one `## <heading>` section of BENCHMARKS.md and rewrites only that, so
 * benchmarks run at different times never clobber each other's figures.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BENCHMARKS_FILE = join(import.meta.dir, '../../BENCHMARKS.md');

/** Replaces the section starting with `## <heading>` (appends it when absent); returns the file path. */
export function writeBenchmarkSection(heading: string, section: string): string {
  const old = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, 'utf8') : '# Benchmarks\n\n';
  const escaped = heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^## ${escaped}\\n[\\s\\S]*?(?=^## |(?![\\s\\S]))`, 'm');
  const next = re.test(old) ? old.replace(re, `${section}\n`) : `${old.trimEnd()}\n\n${section}`;
  writeFileSync(BENCHMARKS_FILE, next.replace(/\n{3,}/g, '\n\n'));
  return BENCHMARKS_FILE;
}
