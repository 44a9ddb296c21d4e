/**
 * The loop's view of the auth sidecar's usage ledger (the authority for spend in the pod): the
 * run's totals before every tick, a turn's tokens and USD as the growth of the ledger across it,
 * and the last budget refusals. A ledger that cannot be read holds the run: at start it is bad
 * input (exit 2, naming the line), later it stops the run as `budget:ledger-unreadable`.
 */
import { LedgerError, type LimitedLine } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type LedgerSpend, readLedgerSpend, readSettledLedger } from '../../budget/ledger-spend.ts';
import { InputError } from '../../cli/errors.ts';
import type { StopReason } from '../../state/stop-reason.ts';

export const LEDGER_UNREADABLE: StopReason = { kind: 'budget', cap: 'ledger-unreadable' };

const EMPTY: LedgerSpend = { tokens: 0, usd: 0, replies: 0, cutShort: 0, fallback: [], refusals: {}, planUsage: [], peakUtilization: [], limits: 0, recentLimits: [], tornTail: false, inFlight: { requests: 0, usd: 0, tokens: 0 } };

export type TurnMeter = { tokens: number; usd: number; limits: LimitedLine[] };
const HINT = 'the usage ledger is the run\'s record of spend, written by the auth sidecar; repair the line it names, or move the file aside (the run then forgets what it spent) and `peers up` again';

export class RunLedger {
  /** The spend at the last successful read. */
  spend: LedgerSpend | null = null;

  constructor(readonly path: string, private readonly log: (line: string) => void = () => {}) {}

  /** The first read, at start: damage is bad input with the file and line. */
  readOrThrowInput(): LedgerSpend {
    try {
      this.spend = readLedgerSpend(this.path) ?? EMPTY;
      return this.spend;
    } catch (e) {
      if (e instanceof LedgerError) throw new InputError(`usage ledger: ${e.message}`, { hint: HINT });
      throw e;
    }
  }

  /** The spend now; null (and a log line) when the ledger cannot be read. */
  read(): LedgerSpend | null {
    try {
      this.spend = readLedgerSpend(this.path) ?? EMPTY;
      return this.spend;
    } catch (e) {
      this.log(`peers: the usage ledger cannot be read, holding the run: ${(e as Error).message}`);
      return null;
    }
  }

  /**
   * What the turn that just ended spent, and the limits its vendor reported: the ledger's growth
   * since the last read (turns run one at a time, so what the sidecar recorded meanwhile is this turn's).
   */
  async turnSpend(settle: Parameters<typeof readSettledLedger>[2] = {}): Promise<TurnMeter | null> {
    const before = this.spend ?? EMPTY;
    const after = await readSettledLedger(this.path, () => this.read(), settle);
    if (!after) return null;
    const newLimits = Math.max(0, after.limits - before.limits);
    return {
      tokens: Math.max(0, after.tokens - before.tokens),
      usd: Math.max(0, Math.round((after.usd - before.usd) * 1e8) / 1e8),
      limits: newLimits ? after.recentLimits.slice(-newLimits) : [],
    };
  }
}
