/**
 * A lean entry for the SIGKILL test: runs the same runLoop as `peers loop`, without loading the
 * whole command tree, so 50 kill-and-restart cycles fit in a fast test. Usage: REPO STATE MAX_TICKS.
 */
import { runLoop } from '../../../src/loop/shell/loop-runner.ts';

const [repo, stateDir, maxTicks] = process.argv.slice(2);
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const out = await runLoop({ repo: repo!, stateDir: stateDir!, maxTicks: Number(maxTicks), signal: stop.signal, backoffBaseMs: 10 });
process.exit(out.exitCode);
