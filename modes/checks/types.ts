/** The contract of a built-in check run by `peers check <id>`: exit 0 when `pass`, 1 otherwise. */
export type CheckResult = { pass: boolean; report: string };
export type Check = { description: string; run(repoDir: string): Promise<CheckResult> };
