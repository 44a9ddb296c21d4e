/**
 * The flags several commands share about a run: its caps, its state directory, the start-only
 * switches `peers up` hands to the loop. One definition each (name, parser, bounds, help), so `up`,
 * `loop` and `sidecar auth` cannot take `--max-usd 0` in one and refuse it in another. The bounds are
 * the config file's (config-schema.ts: budget.max_usd positive, max_ticks and max_tokens positive
 * integers): a cap given on the command line is held to the same rule as one written in config.yaml.
 */
import { Flags } from '@oclif/core';
import { oclifFlags } from '../src/cli/oclif-flags.ts';
import { parseUsdCap } from '../src/cli/usd-cap.ts';
import { STATE_DIR_FLAGS } from './project-flags.ts';

export { parseUsdCap };

const usdCap = Flags.custom<number>({ parse: async (text) => parseUsdCap(text), helpValue: 'USD' });

/** `--max-usd`: one parser and one set of bounds; the description may say what the cap does where. */
export const maxUsdFlag = (description = 'Spending cap in US dollars (overrides budget.max_usd).') => usdCap({ description });

export const maxTicksFlag = (description = 'Stop after this many ticks.') => Flags.integer({ min: 1, description });

export const maxTokensFlag = (description = 'Token cap over all peers (overrides budget.max_tokens; stop reason budget:max_tokens).') => Flags.integer({ min: 1, description });

export const stateDirFlag = () => oclifFlags(STATE_DIR_FLAGS);

/** The flags that only take effect when a loop starts: `peers up` passes them on to `peers loop`. */
export const loopStartFlags = () => ({
  'reset-peer': Flags.string({ multiple: true, helpValue: 'NAME|all', description: 'Bring an unavailable or degraded peer (or all) back, and forgive the failure streak, as the loop starts.' }),
  'no-skeptic': Flags.boolean({ description: 'Complete at convergence without the skeptic\'s re-audit.' }),
  'no-recon': Flags.boolean({ description: 'Do not write the recon digest (recon.md) before the first tick.' }),
  'no-codemap': Flags.boolean({ description: 'Do not write the codemap (CODEMAP.yaml, codemap.md) before the first tick.' }),
});
