/**
 * The error vocabulary shared by every command. A `PeersError` is an expected failure: it is
 * printed as one clean message (never a stack trace) and maps to the exit-code convention of
 * Exit codes (README.md, Commands): 1 = the operation failed, 2 = bad input or configuration.
 */
export type ErrorLocation = { file: string; line?: number; column?: number };

export class PeersError extends Error {
  readonly exitCode: number;
  readonly location?: ErrorLocation;
  /** The next thing the user should run or edit. */
  readonly hint?: string;

  constructor(message: string, opts: { exitCode?: number; location?: ErrorLocation; hint?: string } = {}) {
    super(message);
    this.name = 'PeersError';
    this.exitCode = opts.exitCode ?? 1;
    this.location = opts.location;
    this.hint = opts.hint;
  }

  /** `file:line:col: message` then the hint on its own line, the way compilers report. */
  format(): string {
    // A message that opens with the very file it is located at names it once: `/tmp/x is not a git
    // repository`, never `/tmp/x: /tmp/x is not …` (the location stays whole in --json's `location`).
    const loc = this.location && !(this.location.line === undefined && this.message.startsWith(this.location.file)) ? this.location : undefined;
    const where = loc ? `${loc.file}${loc.line ? `:${loc.line}` : ''}${loc.line && loc.column ? `:${loc.column}` : ''}: ` : '';
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** Bad input: flags, arguments, config or goals files. Exit 2. */
export class InputError extends PeersError {
  constructor(message: string, opts: { location?: ErrorLocation; hint?: string } = {}) {
    super(message, { ...opts, exitCode: 2 });
    this.name = 'InputError';
  }
}

/** Several input problems found at once (e.g. every bad key of a config file). Exit 2. */
export class InputErrors extends InputError {
  readonly problems: InputError[];
  constructor(problems: InputError[]) {
    super(problems.map((p) => p.format()).join('\n'));
    this.name = 'InputErrors';
    this.problems = problems;
  }
  override format(): string {
    return this.message;
  }
}

/**
 * A command that ran to the end and failed by its own result: a red `verify` or `check`, a `doctor`
 * with a failed check, a run that finished other than complete. Its output (the human report, or
 * `result` as its JSON document) already says why, so nothing is added on stderr unless a message
 * is given; the exit code is the command's.
 */
export class CommandFailed extends PeersError {
  readonly result: unknown;
  constructor(exitCode: number, opts: { result?: unknown; message?: string; hint?: string } = {}) {
    super(opts.message ?? '', { exitCode, hint: opts.hint });
    this.name = 'CommandFailed';
    this.result = opts.result;
  }
}
