/** The contract of a built-in check run by `peers check <id>`: exit 0 when `pass`, 1 otherwise. */
export type CheckResult = { pass: boolean; report: string };

/** Flags of `peers check` that some checks read (the goals `peers init` writes pass them). */
export type CheckOptions = {
  /** --lang: js | ts | python | go | rust (aliases accepted); detected from the project when absent. */
  lang?: string;
  /** --pin PATH=BLOB: a frozen file of the acceptance contract. */
  pins?: string[];
  /** --acked STEP-N: a [BLOCKED] plan step the operator acknowledged (peers ack-block). */
  acked?: string[];
  /** --peers a,b: the run's peers (honesty-audit). */
  peers?: string[];
  /** --n N: how many (description-converged). */
  n?: number;
};

export type Check = { description: string; run(repoDir: string, opts?: CheckOptions): Promise<CheckResult> };
