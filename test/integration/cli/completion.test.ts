/**
 * `peers completion bash|zsh|fish`, generated from the command manifest. Golden files pin
 * the scripts (regenerate with UPDATE_GOLDEN=1 after changing a command); the bash script is sourced
 * in a real bash and asked for completions the way bash's readline asks.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());
const GOLDEN = join(import.meta.dir, 'golden');
const script = (shell: string) => runPeers(['completion', shell], { cwd: sb.root, env: sb.env });

describe('completion scripts', () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    test(`${shell}: matches golden/completion.${shell}`, () => {
      const r = script(shell);
      expect(r.code).toBe(0);
      const file = join(GOLDEN, `completion.${shell}`);
      if (process.env.UPDATE_GOLDEN) writeFileSync(file, r.stdout);
      expect(existsSync(file)).toBe(true);
      expect(r.stdout).toBe(readFileSync(file, 'utf8'));
    });
  }

  test('an unknown shell is refused with the choices, exit 2', () => {
    const r = script('tcsh');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bash, zsh, fish');
  });

  test('bash: sourced, `complete -p peers` is registered and COMPREPLY answers prefixes', () => {
    const file = join(sb.root, 'peers.bash');
    writeFileSync(file, script('bash').stdout);
    const ask = (words: string[]) => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _peers; echo "\${COMPREPLY[*]}"`;
    const program = [
      `source '${file}'`,
      'complete -p peers',
      ask(['peers', 'sta']),
      ask(['peers', 'st']),
      ask(['peers', 'modes', 'l']),
      ask(['peers', 'status', '--js']),
      ask(['peers', 'up', '--credentials', 'oa']),
      ask(['peers', 'prune', '--d']),
      ask(['peers', 'sidecar']),
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['complete -o default -F _peers peers', 'status', 'status', 'list', '--json', 'oauth-file', '--dir --dry-run', '', '']);
  });

  test('every visible command and its flags are in the script (it follows the manifest)', () => {
    const bash = script('bash').stdout;
    const cmds = (JSON.parse(runPeers(['commands', '--json'], { cwd: sb.root, env: sb.env }).stdout) as { commands: { id: string; hidden: boolean; flags: { name: string; hidden: boolean }[] }[] }).commands;
    for (const c of cmds.filter((c) => !c.hidden && c.id !== 'help')) {
      const line = bash.split('\n').find((l) => l.startsWith(`    '${c.id}') words=`));
      expect(line, c.id).toBeDefined();
      for (const f of c.flags.filter((f) => !f.hidden)) expect(line, `${c.id} --${f.name}`).toContain(`--${f.name}`);
    }
  });
});
