/**
 * Every command's --help wraps evenly to the terminal: no line past the width (oclif's own flag
 * list ran 2 columns over, src/cli/oclif-width.ts), no paragraph broken where the source text
 * happened to break (src/cli/help-text.ts), and every example kept whole on its line.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Help, type Config } from '@oclif/core';
import { COMMAND_LOADERS } from '../../../commands/index.ts';
import { loadConfig } from '../../../src/cli/bootstrap.ts';
import { reflowParagraphs } from '../../../src/cli/help-text.ts';
import { OCLIF_LIST_OVERRUN } from '../../../src/cli/oclif-width.ts';

let config: Config;
beforeAll(async () => {
  config = await loadConfig(COMMAND_LOADERS);
});

/** The help oclif prints for `command` (below its summary line) on a terminal `width` columns wide, as peers sets oclif up. */
function helpAt(config: Config, id: string, width: number): string {
  const help = new Help(config, { maxWidth: width - OCLIF_LIST_OVERRUN, stripAnsi: true });
  return (help as unknown as { formatCommand(c: unknown): string }).formatCommand(config.findCommand(id)!);
}

/** Each line of each example of `id`, as oclif shows it: indented, a line that runs peers after `$ `. */
const examplesOf = (config: Config, id: string) =>
  ((config.findCommand(id)!.examples ?? []) as string[])
    .flatMap((e) => e.replaceAll('<%= config.bin %>', 'peers').split('\n'))
    .filter(Boolean)
    .map((line) => (line.startsWith('peers ') ? `$ ${line}` : line));

/** The paragraphs of a help section: runs of lines at the same indent, between blank lines. */
function sectionBody(text: string, header: string): string[] {
  const start = text.indexOf(`\n${header}\n`);
  if (start === -1) return [];
  const rest = text.slice(start + header.length + 2);
  const end = rest.search(/\n[A-Z][A-Z ]+\n/);
  return (end === -1 ? rest : rest.slice(0, end)).split('\n');
}

describe('help wraps to the terminal', () => {
  for (const width of [60, 80, 100, 132]) {
    test(`${width} columns: no line of any command's help is wider, and every example is whole`, () => {
      for (const id of config.commandIDs) {
        const text = helpAt(config, id, width);
        const examples = examplesOf(config, id).map((e) => `  ${e}`);
        for (const line of text.split('\n')) {
          if (examples.includes(line)) continue; // an example is a command to copy: never broken, even past the width
          expect({ id, width, line, over: line.length > width }).toEqual({ id, width, line, over: false });
        }
        for (const example of examples) expect(text.split('\n')).toContain(example);
      }
    });
  }

  // From 80 columns: the first line (the summary) is printed as it is, and written to fit 80.
  test("the root help and every topic's fit too", () => {
    for (const width of [80, 100, 132]) {
      const help = new Help(config, { maxWidth: width - OCLIF_LIST_OVERRUN, stripAnsi: true }) as unknown as { formatRoot(): string; formatTopic(t: unknown): string };
      const texts = [help.formatRoot(), ...config.topics.map((t) => help.formatTopic(t))];
      for (const line of texts.join('\n').split('\n')) expect({ width, line, over: line.length > width }).toEqual({ width, line, over: false });
    }
  });

  test('80 columns: a description line ends only where the next word would not fit, or at its paragraph', () => {
    for (const id of config.commandIDs) {
      const lines = sectionBody(helpAt(config, id, 80), 'DESCRIPTION');
      lines.forEach((line, i) => {
        const next = lines[i + 1];
        if (!line.trim() || !next?.trim()) return;
        const nextWord = next.trim().split(' ')[0]!;
        expect({ id, line, fitsMore: line.length + 1 + nextWord.length <= 80 - OCLIF_LIST_OVERRUN }).toEqual({ id, line, fitsMore: false });
      });
    }
  });
});

describe('reflowParagraphs', () => {
  test('joins the lines of a paragraph; keeps paragraph breaks, indented lines, list items and commands', () => {
    expect(reflowParagraphs('one two\nthree\n\nfour\nfive')).toBe('one two three\n\nfour five');
    expect(reflowParagraphs('Steps:\n- first\n- second\n  still second\n$ peers up\nafter')).toBe('Steps:\n- first\n- second\n  still second\n$ peers up\nafter');
  });
});

describe('the binary', () => {
  const MAIN = join(import.meta.dir, '../../../src/main.ts');
  test('peers up --help at a forced width fits it, past oclif\'s own flag list, with its examples whole', () => {
    const r = spawnSync(process.execPath, [MAIN, 'up', '--help'], { encoding: 'utf8', env: { ...process.env, OCLIF_COLUMNS: '72', NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\nFLAGS\n');
    const examples = examplesOf(config, 'up').map((e) => `  ${e}`);
    const over = r.stdout.split('\n').filter((l) => l.length > 72 && !examples.includes(l));
    expect(over).toEqual([]);
    for (const e of examples) expect(r.stdout.split('\n')).toContain(e);
  });
});
