import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_LOADERS } from '../../commands/index.ts';
import { loadConfig, type CommandLoaders } from '../../src/cli/bootstrap.ts';
import { commandManifest, embeddedCommandManifest } from '../../src/cli/command-manifest.ts';

const ROOT = join(import.meta.dir, '../..');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'src/main.ts'), ...args], { encoding: 'utf8', cwd: '/' });

describe('the peers entry point', () => {
  test('--version prints "peers <semver>" and exits 0', () => {
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^peers \d+\.\d+\.\d+$/);
  });

  test('an unknown command is bad input: exit 2, one line, no stack trace', () => {
    const r = run('no-such-command');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no-such-command');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('commands --json lists the command tree from any working directory', () => {
    const r = run('commands', '--json');
    expect(r.status).toBe(0);
    const ids = (JSON.parse(r.stdout) as { commands: { id: string }[] }).commands.map((c) => c.id);
    expect(ids).toContain('help');
  });

  test('an optional argument is not read from stdin: `echo x | peers status` is the current directory\'s status', () => {
    const repo = mkdtempSync(join(tmpdir(), 'peers-stdin-'));
    try {
      spawnSync('git', ['init', '-q'], { cwd: repo });
      const r = spawnSync(process.execPath, [join(ROOT, 'src/main.ts'), 'status'], { encoding: 'utf8', cwd: repo, input: 'no-such-project\n', env: { ...process.env, XDG_CONFIG_HOME: join(repo, '.config'), XDG_STATE_HOME: join(repo, '.state') } });
      expect(r.stderr).not.toContain('no-such-project');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Project: `);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('the lazily loaded command tree', () => {
  const recording = () => {
    const loaded: string[] = [];
    const loaders: CommandLoaders = Object.fromEntries(
      Object.entries(COMMAND_LOADERS).map(([id, load]) => [id, () => (loaded.push(id), load())]),
    );
    return { loaded, loaders };
  };

  test('the manifest lists exactly the commands there are loaders for', async () => {
    expect(Object.keys((await commandManifest(COMMAND_LOADERS)).commands).sort()).toEqual(Object.keys(COMMAND_LOADERS).sort());
  });

  test('the manifest the binary embeds carries every flag of every command, the run clone\'s --accept-changes included', async () => {
    const manifest = await commandManifest(COMMAND_LOADERS);
    // build.ts replaces command-manifest.ts with this module: load it as the binary would.
    const dir = mkdtempSync(join(tmpdir(), 'peers-manifest-'));
    let embedded: typeof manifest;
    try {
      writeFileSync(join(dir, 'manifest.mjs'), embeddedCommandManifest(manifest));
      embedded = await (await import(join(dir, 'manifest.mjs'))).commandManifest();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const [id, load] of Object.entries(COMMAND_LOADERS)) {
      const cls = (await load()) as { flags?: object; baseFlags?: object; enableJsonFlag?: boolean };
      const declared = [...Object.keys({ ...cls.baseFlags, ...cls.flags }), ...(cls.enableJsonFlag ? ['json'] : [])].sort();
      expect(`${id}: ${Object.keys(embedded.commands[id]?.flags ?? {}).sort().join(' ')}`).toBe(`${id}: ${declared.join(' ')}`);
    }
    for (const id of ['up', 'loop']) expect(embedded.commands[id]?.flags['accept-changes']).toMatchObject({ type: 'boolean' });
  });

  test('building the config imports no command; running one imports that one only', async () => {
    const { loaded, loaders } = recording();
    const config = await loadConfig(loaders, await commandManifest(COMMAND_LOADERS));
    expect(loaded).toEqual([]);
    expect(config.commands.map((c) => c.id)).toContain('sidecar:egress');
    const { modes } = await config.runCommand<{ modes: { name: string }[] }>('modes:list', []);
    expect(modes.map((m) => m.name)).toContain('default');
    expect(loaded).toEqual(['modes:list']);
  });
});

