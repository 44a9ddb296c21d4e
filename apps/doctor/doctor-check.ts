/** One finding of `peers doctor`: what was checked, what was found, and the command that fixes a problem. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** `required`: a failure makes doctor exit 1 (advisory checks only warn). */
export type DoctorCheck = { id: string; title: string; status: CheckStatus; detail: string; fix?: string; required: boolean };
