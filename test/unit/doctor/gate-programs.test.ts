/**
 * `peers doctor` says when a project's gates start a toolchain the workspace image lacks (a Go
 * module's `go test ./...`: `peers verify` passes on the host, and in the pod the gate fails with
 * `go: not found` on every tick). The image is asked once, with the CLIs' versions.
 */
import { describe, expect, test } from 'bun:test';
import { gateProgramsCheck, parseImagePrograms, programsOf, PROGRAMS_SCRIPT } from '../../../apps/doctor/gate-programs.ts';
import { imageCliCommand, parseImageCliVersions } from '../../../apps/doctor/image-clis.ts';

describe("the gates' programs in the image", () => {
  test('programsOf: the first word of each simple command, past assignments and wrappers', () => {
    expect(programsOf('go test ./...')).toEqual(['go']);
    // pnpm from the directory setup filled in the checkout, not from the image.
    expect(programsOf('PATH="$PWD/node_modules/.peers-pm/node_modules/.bin:$PATH" pnpm test')).toEqual([]);
    expect(programsOf('CGO_ENABLED=0 timeout 600 go vet ./... && cargo test -q | tee out; make -C src check')).toEqual(['go', 'cargo', 'tee', 'make']);
    expect(programsOf('env RUST_LOG=1 /usr/bin/cargo test')).toEqual(['cargo']);
    expect(programsOf('. .venv/bin/activate && python -m pytest')).toEqual(['.', 'python']);
    // A venv's or the project's own program is made by setup or committed: not the image's business.
    expect(programsOf('.venv/bin/python -m pytest -q && ./scripts/check')).toEqual([]);
  });

  test('the image probe prints the toolchains it has, and the CLI versions still parse', () => {
    expect(imageCliCommand('img').argv.at(-1)).toContain(PROGRAMS_SCRIPT);
    const out = 'claude\t2.1.330 (Claude Code)\ncodex\tcodex-cli 0.169.0\nopencode\t\nprogram:go\t\nprogram:npm\t/usr/bin/npm\nprogram:python3\t/usr/bin/python3\n';
    expect(parseImageCliVersions(out)).toEqual({ claude: '2.1.330 (Claude Code)', codex: 'codex-cli 0.169.0' });
    expect([...parseImagePrograms(out)].sort()).toEqual(['npm', 'python3']);
  });

  test('a Go gate in a Go-less image fails the check, naming the gate, the program and the fix; the npm gate does not', () => {
    const image = new Set(['npm', 'node', 'python3', 'pytest']);
    const goals = [
      { id: 'self-review-on-handoff', type: 'hard', cmd: 'peers check self-review-on-handoff' },
      { id: 'tests-pass', type: 'hard', cmd: 'go test ./...' },
      { id: 'review', type: 'soft' },
    ];
    const check = gateProgramsCheck('/p', goals, undefined, image);
    expect(check.status).toBe('fail');
    expect(check.required).toBe(true);
    expect(check.detail).toContain('the workspace image has no go');
    expect(check.detail).toContain('gate tests-pass (`go test ./...`) needs go');
    expect(check.fix).toContain('peers image build --force --base IMAGE');
    expect(gateProgramsCheck('/p', [{ id: 'tests-pass', type: 'hard', cmd: 'npm test' }], 'npm ci', image).status).toBe('ok');
    expect(gateProgramsCheck('/p', [{ id: 't', type: 'hard', cmd: './run-tests.sh' }], 'pnpm install', image).detail).toContain('setup (`pnpm install`) needs pnpm');
  });
});
