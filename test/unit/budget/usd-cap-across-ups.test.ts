/**
 * A `--max-usd` cap outlives the `up` that set it (src/budget/usd-cap-across-ups.ts): a plain
 * `peers up` resuming the run after `peers down` used to take budget.max_usd from the config, so
 * a $3 cap became the config's $50 and the resumed rehearsal spent $18.24.
 */
import { describe, expect, test } from 'bun:test';
import type { BudgetPolicy } from '../../../src/budget/budget-policy-file.ts';
import { resolveBudgetPolicy } from '../../../src/budget/budget-policy.ts';
import { usdCapForUp, usdCapToContinue } from '../../../src/budget/usd-cap-across-ups.ts';
import { ConfigSchema } from '../../../src/config/config-schema.ts';

const config = (maxUsd?: number) =>
  ConfigSchema.parse({ peers: ['claude', 'codex'].map((tool) => ({ name: tool, tool, argv: [tool] })), budget: maxUsd === undefined ? {} : { max_usd: maxUsd } });
/** The policy `peers up` writes, for a config and an optional --max-usd. */
const written = (configUsd: number | undefined, flag?: number): BudgetPolicy =>
  resolveBudgetPolicy({ config: config(configUsd), credentials: 'model-server', env: {}, ...(flag === undefined ? {} : { maxUsd: flag }) });

describe('the cap of a resumed run', () => {
  test('a plain up that resumes a run keeps the --max-usd its first up set, and says so', () => {
    const r = usdCapForUp({ flag: undefined, fresh: false, saved: written(50, 3), configMaxUsd: 50 });
    expect(r.maxUsd).toBe(3);
    expect(r.note).toContain("kept this run's cap of $3, set by --max-usd");
    // What that up then writes: the same cap, still marked as the flag's, so the next up keeps it too.
    const next = resolveBudgetPolicy({ config: config(50), credentials: 'model-server', env: {}, maxUsd: r.maxUsd });
    expect(next.max_usd).toBe(3);
    expect(usdCapForUp({ flag: undefined, fresh: false, saved: next, configMaxUsd: 50 }).maxUsd).toBe(3);
  });

  test('a new --max-usd replaces it, up or down', () => {
    expect(usdCapForUp({ flag: 20, fresh: false, saved: written(50, 3), configMaxUsd: 50 })).toEqual({ maxUsd: 20 });
    expect(usdCapForUp({ flag: 1, fresh: false, saved: written(50, 3), configMaxUsd: 50 })).toEqual({ maxUsd: 1 });
  });

  test('budget.max_usd changed in the config since (adopted with --accept-changes) is the later word', () => {
    const r = usdCapForUp({ flag: undefined, fresh: false, saved: written(50, 3), configMaxUsd: 2 });
    expect(r.maxUsd).toBeUndefined();
    expect(r.note).toBe("budget.max_usd changed in .peers/config.yaml since --max-usd 3 was given: the run's cap is now $2");
    expect(usdCapForUp({ flag: undefined, fresh: false, saved: written(undefined, 3), configMaxUsd: 10 }).maxUsd).toBeUndefined();
  });

  test('a new run starts from the config: --fresh, nothing saved, or a saved cap that came from the config', () => {
    expect(usdCapForUp({ flag: undefined, fresh: true, saved: written(50, 3), configMaxUsd: 50 })).toEqual({});
    expect(usdCapForUp({ flag: undefined, fresh: false, saved: undefined, configMaxUsd: 50 })).toEqual({});
    expect(usdCapForUp({ flag: undefined, fresh: false, saved: written(50), configMaxUsd: 50 })).toEqual({});
  });

  test('a policy written before the field says where its cap came from by its reason', () => {
    const { max_usd_by_flag: _flag, config_max_usd: _config, ...old } = written(50, 4);
    expect(usdCapForUp({ flag: undefined, fresh: false, saved: old, configMaxUsd: 50 }).maxUsd).toBe(4);
    const { max_usd_by_flag: _f2, config_max_usd: _c2, ...fromConfig } = written(50);
    expect(usdCapForUp({ flag: undefined, fresh: false, saved: fromConfig, configMaxUsd: 50 }).maxUsd).toBeUndefined();
  });
});

describe('the cap suggested to continue a run stopped by max_usd', () => {
  test('always above the cap it stopped at, with room for the refused request', () => {
    // The trial's case: a $3 cap, the first request's reservation ($3.31) refused unsent, $0 spent:
    // the advice was `--max-usd 1`, a lower cap.
    expect(usdCapToContinue(3, 0)).toBe(6);
    expect(usdCapToContinue(3, 0, 3.31)).toBe(6);
    expect(usdCapToContinue(3, 0, 9.5)).toBe(10);
    expect(usdCapToContinue(10, 9.99)).toBe(20);
    expect(usdCapToContinue(0.5, 0.1)).toBe(1);
    expect(usdCapToContinue(undefined, 3.1)).toBe(7);
    for (const cap of [0.01, 0.5, 1, 2.5, 3, 49.99, 50]) for (const spent of [0, cap / 2, cap]) expect(usdCapToContinue(cap, spent)).toBeGreaterThan(cap);
  });
});
