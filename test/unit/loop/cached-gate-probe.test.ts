/**
 * The loop's gate cache with the real host gate probe (clean checkout, real shell gates): passes
 * are reused per HEAD and goal, and an entry the loop did not write — copied from another HEAD,
 * forged, in the old unauthenticated format, or written by a gate's own code — never turns a red
 * gate green.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/cli/errors.ts';
import { HardGoalSchema, type HardGoal } from '../../../src/config/goals-schema.ts';
import { cacheKey, ephemeralCacheKey, persistentCacheKey } from '../../../src/gates/gate-cache.ts';
import { gitOk } from '../../../src/git/git.ts';
import { withGateCache } from '../../../src/loop/shell/cached-gate-probe.ts';
import { probeGates } from '../../../src/loop/shell/gate-probe.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';

setDefaultTimeout(60_000);

let dir: string;
let repo: string;
let green: string;
let red: string;
let cacheFile: string;
let counter: string;
const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
const runs = () => (existsSync(counter) ? readFileSync(counter, 'utf8').trim().split('\n').length : 0);
const suite = (): HardGoal => HardGoalSchema.parse({ id: 'suite', type: 'hard', cacheable: true, pass_when: 'exit_code == 0', cmd: `echo run >> ${counter}; grep -qx green status.txt` });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-gate-cache-'));
  repo = join(dir, 'repo');
  cacheFile = join(dir, 'gate-cache.json');
  counter = join(dir, 'runs');
  gitOk(dir, ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'status.txt'), 'green\n');
  gitOk(repo, ['add', '.']);
  gitOk(repo, [...id, 'commit', '-qm', 'green']);
  green = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  writeFileSync(join(repo, 'status.txt'), 'red\n');
  gitOk(repo, [...id, 'commit', '-qam', 'red']);
  red = gitOk(repo, ['rev-parse', 'HEAD']).trim();
});
afterAll(() => {
  removeSelfBinDir();
  rmSync(dir, { recursive: true, force: true });
});

const probeWith = (key: Buffer) => {
  const probe = withGateCache(probeGates, { path: cacheFile, key });
  return async (head: string, goal = suite()) => (await probe({ repo, head, goals: [goal], timeoutS: 30, jobs: 1 }))[0]!;
};

describe('the loop\'s gate cache', () => {
  test('a pass is reused for the same HEAD and definition, never for another HEAD; failures are never cached', async () => {
    const probe = probeWith(ephemeralCacheKey());
    expect(await probe(green)).toMatchObject({ state: 'pass', cached: false });
    expect(await probe(green)).toMatchObject({ state: 'pass', cached: true, durationMs: 0 });
    expect(runs()).toBe(1);
    expect(await probe(red)).toMatchObject({ state: 'fail', cached: false });
    expect(await probe(red)).toMatchObject({ state: 'fail', cached: false });
    expect(runs()).toBe(3);
    const edited = HardGoalSchema.parse({ ...suite(), cmd: `${suite().cmd} # edited` });
    expect(await probe(green, edited)).toMatchObject({ state: 'pass', cached: false });
    expect(runs()).toBe(4);
  });

  test('forged entries are ignored: copied to another HEAD, made up, unauthenticated, or written by a gate', async () => {
    const key = ephemeralCacheKey();
    const probe = probeWith(key);
    await probe(green);
    const file = JSON.parse(readFileSync(cacheFile, 'utf8'));
    const genuine = file.entries[cacheKey(green, suite())];
    expect(genuine.mac).toMatch(/^[0-9a-f]{64}$/);
    const forge = (entries: Record<string, unknown>) => writeFileSync(cacheFile, JSON.stringify({ ...file, entries: { ...file.entries, ...entries } }));
    const before = runs();
    // 1: the genuine entry of the green HEAD, re-keyed for the red one.
    forge({ [cacheKey(red, suite())]: { ...genuine, head: red } });
    expect(await probe(red)).toMatchObject({ state: 'fail', cached: false });
    // 2: a made-up MAC; 3: the old format without one.
    forge({ [cacheKey(red, suite())]: { ...genuine, head: red, mac: 'ab'.repeat(32) } });
    expect(await probe(red)).toMatchObject({ state: 'fail', cached: false });
    forge({ [cacheKey(red, suite())]: { goal: 'suite', head: red, durationMs: 1, at: genuine.at } });
    expect(await probe(red)).toMatchObject({ state: 'fail', cached: false });
    expect(runs()).toBe(before + 3);
    // 4: a gate that writes the forged entry itself while it runs (gate code on the host can).
    const forger = HardGoalSchema.parse({
      ...suite(),
      cmd: `node -e 'const f=${JSON.stringify(cacheFile)},c=JSON.parse(require("fs").readFileSync(f));for(const k of Object.keys(c.entries)){c.entries[k.replace(/^[0-9a-f]+/, ${JSON.stringify(red)})]={...c.entries[k],head:${JSON.stringify(red)}}}require("fs").writeFileSync(f,JSON.stringify(c))'; ${suite().cmd}`,
    });
    expect(await probe(red, forger)).toMatchObject({ state: 'fail' });
    expect(await probe(red, forger)).toMatchObject({ state: 'fail', cached: false });
  });

  test('another loop process (another key) trusts none of it; the pod\'s persistent key survives restarts', async () => {
    await probeWith(ephemeralCacheKey())(green);
    expect(await probeWith(ephemeralCacheKey())(green)).toMatchObject({ cached: false });
    const keyFile = join(dir, 'gate-cache.key');
    await probeWith(persistentCacheKey(keyFile))(green);
    expect(await probeWith(persistentCacheKey(keyFile))(green)).toMatchObject({ cached: true });
  });

  test('a damaged key file is bad input naming it (exit 2), not a crash', () => {
    const short = join(dir, 'short.key');
    writeFileSync(short, 'abc');
    expect(() => persistentCacheKey(short)).toThrow(`gate cache key: 3 bytes, not 32`);
    const asDir = join(dir, 'dir.key');
    mkdirSync(asDir);
    let error: unknown;
    try {
      persistentCacheKey(asDir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(2);
    expect((error as InputError).message).toContain('gate cache key');
  });

  test('a cached pass keeps how many tests it ran (the fewer-tests rule reads it); a count edited in the file is not trusted', async () => {
    rmSync(cacheFile, { force: true });
    const probe = probeWith(ephemeralCacheKey());
    const counted = HardGoalSchema.parse({ id: 'counted', type: 'hard', cacheable: true, pass_when: 'exit_code == 0', cmd: `echo run >> ${counter}; printf '# tests 3\\n# skipped 0\\n'` });
    const before = runs();
    expect(await probe(green, counted)).toMatchObject({ state: 'pass', cached: false, testsRun: { node: 3 } });
    expect(await probe(green, counted)).toMatchObject({ state: 'pass', cached: true, testsRun: { node: 3 } });
    expect(runs()).toBe(before + 1);
    // Raising the kept count breaks the entry's mac: the gate runs again and the real count comes back.
    const file = JSON.parse(readFileSync(cacheFile, 'utf8')) as { entries: Record<string, { testsRun?: Record<string, number> }> };
    file.entries[cacheKey(green, counted)]!.testsRun = { node: 99 };
    writeFileSync(cacheFile, JSON.stringify(file));
    expect(await probe(green, counted)).toMatchObject({ state: 'pass', cached: false, testsRun: { node: 3 } });
    expect(runs()).toBe(before + 2);
  });
});

