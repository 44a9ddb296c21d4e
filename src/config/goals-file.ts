/**
 * Reads and validates `.peers/goals.yaml` (control-file.ts says how): apart from the config's
 * loader (load.ts) so that what needs only the goals (`peers status`, `ls`) builds only their schema.
 */
import type { FileKind } from '../fs/file-errors.ts';
import { CONTROL_FILE_LIMIT, parseAndValidate, RESTORE } from './control-file.ts';
import { GoalsSchema, type GoalsFile } from './goals-schema.ts';

const GOALS_FILE: FileKind = { what: 'goals file', hint: 'replace it with a regular YAML file', missingHint: RESTORE };

export function loadGoalsFile(path: string): GoalsFile {
  return parseAndValidate(path, GOALS_FILE, GoalsSchema, { goals: [] });
}
