/**
 * `peers up` refuses a run whose hard gate starts a toolchain the workspace image lacks (every
 * tick's gate would fail with `go: not found` and the run end stuck, its ticks paid for), by the
 * same rule as doctor's `gate toolchains` line; a command the rule cannot judge is never refused.
 */
import { describe, expect, test } from 'bun:test';
import { gateProgramsCheck } from '../../../apps/doctor/gate-programs.ts';
import { startsKnownToolchain, toolchainFix, toolchainRefusal } from '../../../src/gates/gate-toolchains.ts';

const IMAGE = new Set(['git', 'node', 'npm', 'npx', 'python3', 'pip3', 'pytest']);
const hard = (id: string, cmd: string) => ({ id, type: 'hard', cmd });

describe('up refuses a gate the image cannot run', () => {
  test('a Go and a Rust gate in a monorepo: refused, naming each gate, its program and the base image that has it', () => {
    const goals = [hard('self-review-on-handoff', 'peers check self-review-on-handoff'), hard('services-gosvc-tests-pass', 'cd services/gosvc && go test ./...'), hard('services-rustlib-tests-pass', 'cd services/rustlib && cargo test -q')];
    const r = toolchainRefusal('localhost/peers-workspace:latest', goals, undefined, IMAGE)!;
    expect(r.message).toContain('the workspace image localhost/peers-workspace:latest has no go, cargo');
    expect(r.message).toContain('gate services-gosvc-tests-pass (`cd services/gosvc && go test ./...`) needs go');
    expect(r.message).toContain('gate services-rustlib-tests-pass (`cd services/rustlib && cargo test -q`) needs cargo');
    expect(r.hint).toContain('on its PATH');
    expect(r.hint).toContain('golang:1.22-bookworm keeps /usr/local/go/bin');
    expect(r.hint).toContain('rust:1-bookworm keeps /usr/local/cargo/bin');
    expect(r.hint).toContain('peers image build --force --base IMAGE');
    // The old advice contradicted README (the image keeps the base's PATH, /usr/local/go/bin included).
    expect(r.hint).not.toContain('/usr/local/bin or /usr/bin');
  });

  test('doctor and up say the same fix, from one rule', () => {
    const goals = [hard('tests-pass', 'go test ./...')];
    expect(gateProgramsCheck('/p', goals, undefined, IMAGE).fix).toBe(toolchainRefusal('img', goals, undefined, IMAGE)!.hint);
    expect(toolchainFix(['go'])).toBe(toolchainRefusal('img', goals, undefined, IMAGE)!.hint);
    expect(gateProgramsCheck('/p', [hard('tests-pass', 'npm test')], undefined, IMAGE).status).toBe('ok');
    expect(toolchainRefusal('img', [hard('tests-pass', 'npm test')], undefined, IMAGE)).toBeNull();
  });

  test('a setup that starts a missing toolchain is refused too (it runs in the image before every gate)', () => {
    expect(toolchainRefusal('img', [hard('t', 'npm test')], 'make deps', IMAGE)!.message).toContain('setup (`make deps`) needs make');
  });

  test('never refused: programs the rule cannot judge, soft goals, and what the image has', () => {
    const unjudged = [hard('a', './scripts/test.sh'), hard('b', "sh -c 'go test ./...'"), hard('c', 'bash ci/check'), hard('d', 'PATH="$PWD/.tools/go/bin:$PATH" go test ./...'), hard('e', '.venv/bin/python -m pytest -q')];
    expect(toolchainRefusal('img', unjudged, undefined, IMAGE)).toBeNull();
    // No known program at all: up need not even ask the image.
    expect(startsKnownToolchain(unjudged, undefined)).toBe(false);
    expect(startsKnownToolchain([hard('t', 'go test ./...')], undefined)).toBe(true);
    expect(toolchainRefusal('img', [{ id: 'review', type: 'soft', cmd: 'go vet ./...' }], undefined, IMAGE)).toBeNull();
    expect(toolchainRefusal('img', [hard('t', 'go test ./...')], undefined, new Set([...IMAGE, 'go']))).toBeNull();
  });
});
