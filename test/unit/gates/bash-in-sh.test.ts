/**
 * Gates and setup run as `sh -c` (dash on Debian, the workspace image's too), and users write bash:
 * `source ./env.sh && [[ "$X" == 1 ]]` failed as "source: command not found (exit 127): it is not
 * installed where the gate runs (in a run: the workspace image; `peers doctor` lists …)", sending
 * the user to install a program that does not exist; `set -o pipefail && npm test | tee log` as
 * dash's bare "set: Illegal option -o pipefail".
 */
import { afterAll, expect, test } from 'bun:test';
import { HardGoalSchema } from '../../../src/config/goals-schema.ts';
import { evaluateGates } from '../../../src/gates/gate-engine.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);
afterAll(removeSelfBinDir);

const goal = (id: string, cmd: string) => HardGoalSchema.parse({ id, type: 'hard', cmd, pass_when: 'exit_code == 0' });

test('bash in a gate is said to be bash, with the sh way and the bash -c way; a missing program is still a missing program', async () => {
  const [source, test2, pipefail, missing] = await evaluateGates({
    checkoutDir: tempDir('bash-in-sh-'), head: 'a'.repeat(40), defaultTimeoutS: 30,
    goals: [goal('env', 'source /dev/null && true'), goal('cond', '[[ 1 == 1 ]]'), goal('piped', 'set -o pipefail && true | cat'), goal('go', 'go-not-installed-here test')],
  });
  expect(source!.diagnostic).toStartWith("source: not found (exit 127): `source` is bash, and every gate and setup runs as sh -c (dash): write it for sh (`.` for `source`, `[ … ]` for `[[ … ]]`), or run the command with bash: cmd: bash -c '…'");
  expect(source!.diagnostic).not.toContain('not installed');
  expect(test2!.diagnostic).toStartWith('[[: not found (exit 127): `[[` is bash');
  expect(pipefail!.diagnostic).toStartWith('`set -o pipefail` is bash, and every gate and setup runs as sh -c (dash)');
  expect(missing!.diagnostic).toStartWith('go-not-installed-here: command not found (exit 127): it is not installed where the gate runs');
});
