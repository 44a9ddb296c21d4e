/**
 * Convergence through the real loop with shell-script peers: the bug ledger read from git
 * (a decoy severity changes nothing), the skeptic tick that finds a bug and re-arms, thorough
 * convergence (N=3 + all peers healthy), blind review in the prompt, and the recon/codemap context
 * on TypeScript and Python repositories.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { gitOk } from '../../../src/git/git.ts';
import { readLedger } from '../../../src/protocol/bug-ledger.ts';
import { loop, makeProject, promptOf, state, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

describe('bug ledger', () => {
  test('a decoy JSON block claiming severity info cannot lower a high report: the bug keeps blocking convergence', async () => {
    p = makeProject({ peers: { alice: 'files-decoy-bug', bob: 'always-handoff' }, goalsSettings: { convergence_n: 1 } });
    const out = await loop(p, { maxTicks: 4 });
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    expect(t[0]!.new_blocking_bugs).toBe(1);
    expect(promptOf(p, t[1]!)).toMatch(/OPEN BLOCKING BUGS:\n {2}- \[high\] BUG-001/);
    expect(readLedger(p.repo).reports.find((r) => r.id === 'BUG-001')).toMatchObject({ severity: 'high', open: true });
  });
});

describe('skeptic tick', () => {
  test('a skeptic tick that files a blocking bug resets the clean count; after the fix clean skeptic ticks audit each author and the run completes', async () => {
    p = makeProject({ peers: { alice: 'skeptic-files-bug', bob: 'resolves-bug' }, goalsSettings: { convergence_n: 2 } });
    const out = await loop(p, { maxTicks: 10 });
    expect(out.reason).toBe('complete');
    const t = ticks(p);
    expect(t.map((x) => [x.peer, x.skeptic, x.new_blocking_bugs, x.clean_ticks, x.skeptic_audits ?? null])).toEqual([
      ['alice', false, 0, 1, null],
      ['bob', false, 0, 2, null],
      ['alice', true, 1, 0, ['bob']], // alice re-audits bob's changes and finds BUG-001
      ['bob', false, 0, 1, null], // bob fixes it; the skeptic was re-armed
      ['alice', false, 0, 2, null],
      ['bob', true, 0, 3, ['alice']], // bob re-audits alice: nothing new
      ['alice', true, 0, 4, ['bob']], // alice re-audits bob's fix: nothing new → complete
    ]);
    expect(promptOf(p, t[2]!)).toContain('POST-CONVERGENCE SKEPTIC RE-AUDIT');
    expect(promptOf(p, t[3]!)).toMatch(/OPEN BLOCKING BUGS:\n {2}- \[high\] BUG-001/);
    expect(readLedger(p.repo).reports.find((r) => r.id === 'BUG-001')).toMatchObject({ status: 'fixed', open: false });
  });
});

describe('thorough convergence', () => {
  const spec = (requireHealthy: boolean) => ({ peers: { alice: 'always-handoff', bob: 'crash', carol: 'always-handoff' }, goalsSettings: { convergence_n: 3, require_healthy_peers: requireHealthy }, budget: { max_consecutive_failures: 50 } });

  test('N=3 clean ticks alone complete while a peer is degraded (the other two audit each other)', async () => {
    p = makeProject(spec(false));
    expect((await loop(p, { maxTicks: 14 })).reason).toBe('complete');
    const t = ticks(p);
    const skepticAt = t.findIndex((x) => x.skeptic);
    expect(t[skepticAt - 1]!.clean_ticks).toBe(3);
    expect(t.filter((x) => x.skeptic).map((x) => [x.peer, x.skeptic_audits])).toEqual([
      ['alice', ['carol']],
      ['carol', ['alice']],
    ]);
    expect(state(p).peers.bob!.state).not.toBe('healthy');
  });

  test('the skeptic audit waits for a peer that did not write the change: with the only other peer down, no completion', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'crash' }, goalsSettings: { convergence_n: 3 }, budget: { max_consecutive_failures: 50 } });
    expect((await loop(p, { maxTicks: 12 })).reason).toBe('max_ticks');
    const t = ticks(p);
    expect(Math.max(...t.map((x) => Number(x.clean_ticks)))).toBeGreaterThanOrEqual(3);
    expect(t.filter((x) => x.skeptic && x.peer === 'alice')).toEqual([]);
  });

  test('with require_healthy_peers a degraded peer holds convergence', async () => {
    p = makeProject(spec(true));
    expect((await loop(p, { maxTicks: 14 })).reason).toBe('max_ticks');
    expect(ticks(p).some((x) => x.skeptic)).toBe(false);
    expect(Math.max(...ticks(p).map((x) => Number(x.clean_ticks)))).toBeGreaterThanOrEqual(3);
  });
});

describe('blind review', () => {
  test("the next peer's prompt carries the counterpart's diff but not its self-review notes", async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goalsSettings: { convergence_n: 5 } });
    await loop(p, { maxTicks: 3 });
    const t = ticks(p);
    // the self-review text is in the repository...
    expect(gitOk(p.repo, ['log', '--format=%B', '-n', '1', t[0]!.head_after as string])).toContain('Re-read the diff; nothing left out.');
    // ...the reviewer sees the change itself, never those notes
    const prompt = promptOf(p, t[2]!);
    expect(prompt).toContain('CHANGES TO REVIEW');
    expect(prompt).toContain('+++ b/work-bob.txt');
    expect(ticks(p).map((x) => promptOf(p!, x)).filter((s) => s.includes('Re-read the diff; nothing left out.'))).toEqual([]);
  });
});

describe('context before tick 1', () => {
  const ident = ['-c', 'user.name=t', '-c', 'user.email=t@peers.test'];
  function addFiles(files: Record<string, string>) {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(p!.repo, rel, '..'), { recursive: true });
      writeFileSync(join(p!.repo, rel), text);
    }
    gitOk(p!.repo, [...ident, 'add', '-A']);
    gitOk(p!.repo, [...ident, 'commit', '-q', '-m', 'sources']);
  }
  const entries = () => (parse(readFileSync(join(p!.stateDir, 'CODEMAP.yaml'), 'utf8')) as { entries: Array<{ id: string; line: number; signature: string }> }).entries;

  test('a TypeScript repository: recon names the language and the codemap lists its exports with line and signature, in the first prompt', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    addFiles({ 'package.json': '{"name":"shop","main":"src/index.ts"}\n', 'src/index.ts': "import { total } from './cart';\n\nexport function total2(xs: number[]): number {\n  return xs.length;\n}\n", 'src/cart.ts': 'export class Cart {\n  add(sku: string): this {\n    return this;\n  }\n}\n' });
    await loop(p, { maxTicks: 1 });
    expect(readFileSync(join(p.stateDir, 'recon.md'), 'utf8')).toMatch(/## Detected languages[\s\S]*TypeScript/);
    expect(entries()).toContainEqual(expect.objectContaining({ id: 'src/index.ts:total2', line: 3, signature: 'function total2(xs: number[]): number' }));
    expect(entries()).toContainEqual(expect.objectContaining({ id: 'src/cart.ts:Cart.add', line: 2 }));
    const prompt = promptOf(p, ticks(p)[0]!);
    expect(prompt).toContain('--- codemap ---');
    expect(prompt).toContain('function total2(xs: number[]): number');
  });

  test('a Python repository: public defs and classes with line and signature; --no-recon and --no-codemap write nothing', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    addFiles({ 'pyproject.toml': '[project]\nname = "calc"\n', 'calc/core.py': 'class Calculator:\n    def add(self, a: int, b: int) -> int:\n        return a + b\n\n\ndef _private():\n    pass\n\n\ndef parse(text: str) -> list[int]:\n    """Parse numbers."""\n    return []\n' });
    await loop(p, { maxTicks: 1, noRecon: true, noCodemap: true });
    expect(existsSync(join(p.stateDir, 'recon.md'))).toBe(false);
    expect(existsSync(join(p.stateDir, 'CODEMAP.yaml'))).toBe(false);
    expect(promptOf(p, ticks(p)[0]!)).toContain('(no recon or codemap digest yet');
    await loop(p, { maxTicks: 1 });
    expect(readFileSync(join(p.stateDir, 'recon.md'), 'utf8')).toMatch(/## Detected languages[\s\S]*Python/);
    const ids = entries().map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining(['calc/core.py:Calculator', 'calc/core.py:Calculator.add', 'calc/core.py:parse']));
    expect(ids.some((id) => id.includes('_private'))).toBe(false);
    expect(entries().find((e) => e.id === 'calc/core.py:parse')).toMatchObject({ line: 10 });
  });
});
