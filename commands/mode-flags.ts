/**
 * The flags `peers init` and `peers new` share: which goal program to install and what it reads.
 * One definition, so the two commands cannot drift apart in names, parsing or help text.
 */
import { Flags } from '@oclif/core';
import { parseModeList } from '../src/mode-registry/compose.ts';

export const modeFlags = {
  modes: Flags.string({ description: 'Modes to install, comma-separated: audit, thorough, describe, document, implement (peers modes list).' }),
  lang: Flags.string({ description: 'Project language: js, ts, python, go or rust (detected when absent; for `new`, the skeleton\'s language).' }),
  spec: Flags.string({ description: 'A specification file, committed as SPEC.md.' }),
  plan: Flags.string({ description: 'implement: the PLAN.md to build (validated; committed as PLAN.md, its acceptance test frozen; acceptance_files it lists are copied from beside it).' }),
  'allow-passing-acceptance': Flags.boolean({ description: 'implement: install even though the acceptance command already passes.' }),
};

type ModeFlagValues = { modes?: string; lang?: string; spec?: string; plan?: string; 'allow-passing-acceptance': boolean };

/** The parsed flags as init and new take them. */
export function modeOptions(flags: ModeFlagValues): { modes?: string[]; lang?: string; spec?: string; plan?: string; allowPassingAcceptance: boolean } {
  return {
    modes: flags.modes !== undefined ? parseModeList(flags.modes) : undefined,
    lang: flags.lang,
    spec: flags.spec,
    plan: flags.plan,
    allowPassingAcceptance: flags['allow-passing-acceptance'],
  };
}
