/**
 * The project argument and `-C DIR` as oclif declares them, built from project-flags.ts (where they
 * are defined, with projectFrom, for the commands that also run without oclif).
 */
import { Args } from '@oclif/core';
import { oclifFlags } from '../src/cli/oclif-flags.ts';
import { PROJECT_DESCRIPTION, PROJECT_DIR_FLAGS } from './project-flags.ts';

export { PROJECT_DESCRIPTION, projectFrom } from './project-flags.ts';

export const projectArg = () => Args.string({ description: PROJECT_DESCRIPTION });

export const projectDirFlag = () => oclifFlags(PROJECT_DIR_FLAGS);
