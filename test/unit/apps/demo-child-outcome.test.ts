/**
 * `peers demo` as root runs the demo as the unprivileged user and reads its `--json` outcome
 * (apps/demo/root-handoff.ts). When that demo failed before it had a run (its pod did not start),
 * its stdout was an error document; taken for an outcome, the root demo crashed with exit 70
 * ("undefined is not an object (evaluating 'outcome.report.trimEnd')").
 */
import { expect, test } from 'bun:test';
import { childOutcome } from '../../../apps/demo/root-handoff.ts';
import { PeersError } from '../../../src/cli/errors.ts';

const caught = (f: () => unknown): PeersError => {
  try {
    f();
  } catch (e) {
    return e as PeersError;
  }
  throw new Error('no error');
};

test("the unprivileged demo's error document is its failure, with its exit code and hint", () => {
  const doc = JSON.stringify({ schema_version: 1, error: { message: 'podman run failed for the loop container', exit_code: 1, hint: 'peers doctor' } });
  const e = caught(() => childOutcome(doc, 1, 'peerstest'));
  expect(e).toBeInstanceOf(PeersError);
  expect(e.message).toBe('the demo run as peerstest failed: podman run failed for the loop container');
  expect(e.exitCode).toBe(1);
  expect(e.hint).toBe('peers doctor');
  expect(caught(() => childOutcome(JSON.stringify({ schema_version: 1, error: { message: 'bad --dir', exit_code: 2 } }), 2, 'peerstest')).exitCode).toBe(2);
});

test('no JSON, or JSON without a report, is a demo that ended without a result (never exit 70)', () => {
  for (const [out, code] of [['', 0], ['not json', 3], ['{"schema_version":1}', 0]] as const) {
    const e = caught(() => childOutcome(out, code, 'peerstest'));
    expect(e).toBeInstanceOf(PeersError);
    expect(e.message).toContain('ended without a result');
    expect(e.exitCode).toBe(code === 0 ? 1 : code);
  }
});

test('an outcome, complete or not, is taken as it is', () => {
  const outcome = { ok: false, report: '# peers report\n', stop_reason: 'stuck:tests-pass' };
  expect(childOutcome(JSON.stringify(outcome), 1, 'peerstest')).toMatchObject(outcome);
});
