/**
 * The service tier an OpenAI request is billed at when it names none (or `"auto"`): the tier its
 * API project is set to, which the request does not show and only the reply reports. A project
 * set to priority processing bills such a request at up to 2.5 times the standard rate; reserved
 * at the standard rate, a request could pass the run's USD cap by the difference before its reply
 * is metered (SECURITY.md, "Nothing unmetered").
 *
 * So the reservation takes the dearest tier the vendor has reported for such a request on this upstream.
 * Until a reply has reported one it takes the standard rate: reserving the first requests at
 * priority instead refused a Codex turn's first request (no output cap, so 128k tokens reserved)
 * under a $10 cap, and every run under a small cap would start that way. The first reply of a
 * sidecar's life settles the question; until then at most the requests in flight can be
 * under-reserved, by the priority premium (SECURITY.md, "Nothing unmetered", says so).
 * Only a reply to a request that left the tier to the project teaches it (a request naming
 * `"default"` says nothing of the project). A tier the price table does not know teaches it too,
 * at the factor its replies are metered at (price-table.ts, tierFactor): ignored, a project set to
 * a tier added after the table was reserved at 1x for the whole run and metered at 6x. The
 * reply's own tier is still what its ledger line is priced at (price-table.ts, usdFor).
 *
 * What the project's replies taught outlives the sidecar: each reply line says whether its request
 * left the tier to the project (`tier_from_project`), and a sidecar starting on a ledger learns from
 * those lines what the one before it had (usage-ledger.ts). Kept in memory alone, every restart on
 * the same ledger (`peers up` resuming, a dead sidecar repaired) reserved at 1x again.
 * Projects are the OpenAI API's own: a router bills by its own prices (budget.ts, costFactor) and
 * Codex's ChatGPT backend by the plan's.
 */
import { tierFactor } from './price-table.ts';
import type { RequestFacts } from './request-cost.ts';
import type { UpstreamSpec } from '../upstreams.ts';

/** Whether an upstream bills by API project: the OpenAI API itself. */
export function billsByProject(upstream: Pick<UpstreamSpec, 'id' | 'routed'>): boolean {
  return upstream.id === 'openai' && upstream.routed !== true;
}

/** Whether an upstream that bills by project (`byProject`) bills `f` at its project's tier: no tier named, or `"auto"`. */
export function leavesTierToProject(f: Pick<RequestFacts, 'serviceTier'>, byProject: boolean): boolean {
  return byProject && (f.serviceTier === undefined || f.serviceTier === 'auto');
}

/** The tier to reserve `f` at: its own, or the dearest the project's replies have reported (the standard rate until then). */
export function reservationTier(f: Pick<RequestFacts, 'serviceTier'>, byProject: boolean, projectTier: string | undefined): string | undefined {
  return leavesTierToProject(f, byProject) ? (projectTier ?? f.serviceTier) : f.serviceTier;
}

/**
 * The project's tier after a reply to `f` reported `replyTier` (undefined: it reported none): the
 * dearer of the two. OpenAI serves some of a priority project's requests at the standard tier
 * while its traffic ramps too fast, and says so; taking the last reply's tier let a peer that
 * flooded the project have the next requests reserved at 1x and billed at 2.5x
 * (project-tier-downgrade-budget.test.ts). A project set cheaper mid-run is reserved dearer than
 * it bills: the safe side.
 */
export function projectTierAfter(before: string | undefined, f: Pick<RequestFacts, 'serviceTier'> | null, byProject: boolean, replyTier: string | undefined): string | undefined {
  if (!f || !leavesTierToProject(f, byProject) || replyTier === undefined || replyTier === 'auto') return before;
  return before !== undefined && tierFactor(before).factor >= tierFactor(replyTier).factor ? before : replyTier;
}

/** One upstream's knowledge of its project's tier: what its ledger taught (`learned`), then its replies. */
export class ProjectTier {
  constructor(
    private readonly byProject: boolean,
    private tier: string | undefined = undefined,
  ) {}

  /** For a reply line: whether a request with `facts` left its tier to the project (undefined: no project bills it). */
  leftToProject(facts: Pick<RequestFacts, 'serviceTier'> | null): boolean | undefined {
    return this.byProject && facts ? leavesTierToProject(facts, true) : undefined;
  }

  /** The tier to reserve a request with `facts` at. */
  forReservation(facts: Pick<RequestFacts, 'serviceTier'>): string | undefined {
    return reservationTier(facts, this.byProject, this.tier);
  }

  /** What a metered reply to a request with `facts` reported. */
  learn(facts: Pick<RequestFacts, 'serviceTier'> | null, replyTier: string | undefined): void {
    this.tier = projectTierAfter(this.tier, facts, this.byProject, replyTier);
  }
}
