/**
 * Fields besides the body's top-level output cap that let a reply grow: a thinking or reasoning
 * budget (Anthropic `thinking.budget_tokens`, OpenRouter `reasoning.max_tokens`, Gemini's
 * `thinking_config.thinking_budget`, `max_thinking_tokens` and kin) and an output cap given in a
 * nested settings object or under another provider's spelling (`extra_body.max_tokens`,
 * `generation_config.max_output_tokens`, `max_new_tokens`, `num_predict`). The vendors refuse a
 * thinking budget at or above `max_tokens`, but a lenient gateway or router raises the cap to fit
 * it (budget + 1024 for some), so `{"max_tokens": 10, "thinking": {"budget_tokens": 100000}}` was
 * reserved at 10 output tokens and billed 101k (SECURITY.md, "The budget reads the body the vendor
 * reads"). The reservation treats any such field at or above the output cap as voiding the cap,
 * and reasoning asked for by a level or a switch (no budget given: the gateway picks one) as
 * raising it to LEVEL_OUTPUT_FLOOR (request-cost.ts, outputAllowance). Pure.
 */
import { foldKey } from './json-duplicate-key.ts';
import { walkRequestObjects } from './off-body-input.ts';

/**
 * Key names (case-folded, `_` and `-` removed) a gateway may read as a budget for the reply's
 * tokens. `max_tokens` and the other cap spellings count only below the top level (where
 * largestOutputCap reads them) or under a spelling it does not read.
 */
const BUDGET_KEYS = new Set([
  'budgettokens', 'thinkingbudget', 'thinkingbudgettokens', 'thinkingtokenbudget', 'maxthinkingtokens', 'thinkingtokens',
  'reasoningbudget', 'reasoningbudgettokens', 'maxreasoningtokens', 'reasoningmaxtokens', 'reasoningtokens',
  'maxtokens', 'maxoutputtokens', 'maxcompletiontokens', 'maxnewtokens', 'numpredict', 'maxtokenstosample', 'maxgeneratedtokens',
]);
/**
 * Every spelling of an output cap some API reads at the body's top level (largestOutputCap in
 * request-cost.ts reads them there). A compatible provider behind either API shape may read another
 * spelling than the vendor's own and serve up to it, so each one present counts (SECURITY.md, "The
 * budget reads the body the vendor reads").
 */
export const OUTPUT_CAP_FIELDS = ['max_tokens', 'max_output_tokens', 'max_completion_tokens'] as const;
const TOP_LEVEL_CAPS: ReadonlySet<string> = new Set(OUTPUT_CAP_FIELDS);

const normal = (key: string) => foldKey(key).replace(/[_-]/g, '');

/**
 * `largest`: the largest such budget given as a positive integer (0: none); `unbounded`: one is
 * given as null or a negative number (Gemini's -1 is "as much as the model likes"); `unreadable`:
 * the first given as anything else (a string a lax parser coerces), as `key: value`.
 */
export type OutputBudgets = { largest: number; unbounded: boolean; unreadable: string | null; /** Reasoning asked for by a level or a switch, its budget left to whoever reads it. */ byLevel: boolean };

/**
 * Keys (normalized as above) that ask for reasoning by a level or a switch: a gateway translating
 * them to a thinking budget picks it (up to 32,768 tokens for the highest level) and raises the
 * output cap to fit it (LEVEL_OUTPUT_FLOOR).
 */
const LEVEL_KEYS = new Set(['effort', 'reasoningeffort', 'thinkinglevel', 'enablethinking', 'includereasoning', 'includethoughts']);
/** Values of those keys, and `thinking.type`, that ask for no reasoning. */
const OFF = new Set(['none', 'disabled', 'off', 'false']);
/** A level or budget after a model name (`gemini-3-pro(high)`, `claude-sonnet-4-5(16384)`): a proxy strips it and applies it. */
const MODEL_SUFFIX = /\(([^()]*)\)\s*$/;

export function outputBudgetFields(doc: Record<string, unknown>): OutputBudgets {
  const out: OutputBudgets = { largest: 0, unbounded: false, unreadable: null, byLevel: false };
  for (const m of [doc.model, ...(Array.isArray(doc.models) ? doc.models : [])]) {
    const suffix = typeof m === 'string' ? MODEL_SUFFIX.exec(m)?.[1]?.trim().toLowerCase() : undefined;
    if (suffix === undefined || suffix === '' || OFF.has(suffix)) continue;
    if (/^\d+$/.test(suffix)) out.largest = Math.max(out.largest, Number(suffix));
    else if (suffix === 'auto' || suffix.startsWith('-')) out.unbounded = true;
    else out.byLevel = true;
  }
  walkRequestObjects(doc, (v) => {
    for (const key of ['thinking', 'reasoning'] as const) {
      const t = v[key];
      // On without a budget of its own: `{"type": "enabled"}`, `{"type": "adaptive"}`, `{"enabled": true}`, `true`.
      if (t === true) out.byLevel = true;
      if (t === null || typeof t !== 'object' || Array.isArray(t)) continue;
      const o = t as Record<string, unknown>;
      const on = o.enabled === true || (typeof o.type === 'string' && !OFF.has(o.type.toLowerCase()));
      if (on && o.budget_tokens === undefined && o.max_tokens === undefined) out.byLevel = true;
    }
    for (const [key, value] of Object.entries(v)) {
      if (LEVEL_KEYS.has(normal(key)) && value !== undefined && value !== null && value !== false && value !== 0 && !(typeof value === 'string' && OFF.has(value.toLowerCase()))) out.byLevel = true;
      if (v === doc && TOP_LEVEL_CAPS.has(key)) continue;
      if (!BUDGET_KEYS.has(normal(key))) continue;
      if (value === undefined || value === 0 || value === false) continue;
      if (value === null || (typeof value === 'number' && Number.isInteger(value) && value < 0)) out.unbounded = true;
      else if (typeof value === 'number' && Number.isInteger(value)) out.largest = Math.max(out.largest, value);
      else if (typeof value !== 'object') out.unreadable ??= `${key}: ${JSON.stringify(value)?.slice(0, 64)}`;
    }
    return undefined;
  });
  return out;
}
