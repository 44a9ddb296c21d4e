/**
 * The output cap a request through a router is given when it names none (SECURITY.md, "A request
 * goes out only if the budget left covers it"). A request without its own cap is reserved at
 * DEFAULT_MAX_OUTPUT_TOKENS (request-cost.ts), which bounds what the first parties' models write,
 * but a router serves models that write more (DeepSeek R1 through OpenRouter: 163,840 tokens), and
 * Codex sends no cap at all: one such request wrote 160k tokens under a 150k-token cap
 * (routed-uncapped-output.test.ts). Reserving such a request at the model's context window instead
 * would refuse every Codex turn under any cap (windows reach 10M tokens), so the sidecar adds the
 * cap to the body it forwards, and the reservation reads the body as forwarded.
 */
import type { Vendor } from './price-table.ts';
import { OUTPUT_CAP_FIELD } from './request-cost.ts';

/**
 * 32,000: what opencode asks every model for and Claude Code asks of models it does not know
 * (src/model-server/cli-wiring.ts). Not 128k: a router refuses a request whose prompt plus output
 * cap passes the model's window ("requested about … tokens (… of text input, 131072 in the
 * output)"), so a 128k cap would refuse every request to the many 128k-window models behind one.
 */
export const ROUTED_OUTPUT_CAP_TOKENS = 32_000;

/**
 * `doc` with ROUTED_OUTPUT_CAP_TOKENS in its API's own output-cap field, or null when it names one
 * (a cap in another spelling bounds nothing for a reader of this one; null is no cap).
 */
export function withRoutedOutputCap(doc: Record<string, unknown>, vendor: Vendor): Record<string, unknown> | null {
  const field = OUTPUT_CAP_FIELD[vendor];
  if (doc[field] !== undefined && doc[field] !== null) return null;
  return { ...doc, [field]: ROUTED_OUTPUT_CAP_TOKENS };
}
