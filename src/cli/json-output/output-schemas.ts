/**
 * The documented shape of every `--json` output, keyed by command id: the single source of the
 * shapes (json-output.ts checks each output against it; `peers schema <command>` prints it as JSON
 * Schema). Keys are snake_case; maps keyed by data (peer names, gate ids, environment variables)
 * are records. Parts whose inner shape belongs to a state file are `Nested` (any object; their keys
 * are still snake_case, test/integration/cli/json-outputs.test.ts checks every key it sees).
 */
import { z } from 'zod';

/** Bumped when a key is renamed or removed, or its meaning changes; adding a key keeps it. */
export const SCHEMA_VERSION = 1;

const Nested = z.looseObject({});
const Str = z.string();
const NullableStr = z.string().nullable();
const Usd = z.number().meta({ description: 'US dollars, rounded to 6 decimals' });

const Spend = z.strictObject({ usd: Usd, tokens: z.number(), rehearsal: z.boolean().meta({ description: 'the run is a rehearsal (peers up --rehearse): nothing was billed, usd is what the tokens would cost' }) });
const ProjectRow = z.strictObject({
  name: Str,
  path: Str,
  status: Str.meta({ description: 'fresh, running, stopped or crashed (reconciled with podman)' }),
  tick: z.number().nullable(),
  stop_reason: NullableStr.meta({ description: 'the stop reason the loop last wrote: how its process last ended' }),
  finished_by: NullableStr.meta({ description: 'the stop the run is over for, as `peers up` says it (src/loop/run-verdict.ts); null while running or when `peers up` would resume it' }),
  spend: Spend,
  open_gates: z.array(Str).nullable().meta({ description: 'hard gates not green (or never evaluated); null when the goals file does not validate (goals_error): unknown, never none' }),
  unmeasured_gates: z.array(Str).meta({ description: 'of open_gates, the hard gates no measurement has recorded yet (the first one under way, or no run yet): open because unknown, not because red' }),
  goals_error: NullableStr.meta({ description: 'why the goals file does not validate, file:line:col: message as `peers verify` says it; null when it does' }),
  degraded: z.array(Str).meta({ description: 'containers of the pod that are down: the run holds until `peers up` restarts them' }),
  down_because: z.array(z.strictObject({ role: Str, why: Str })).meta({ description: 'of the degraded containers podman shows stopped, why each stopped: its exit code and last line' }),
  state_dir: Str,
  containers: z.array(z.strictObject({ role: Str, status: Str })),
});
export const ArchivedRunJson = z.strictObject({ id: Str, path: Str, stop_reason: NullableStr, tick: z.number().nullable(), spent_usd: Usd.nullable() });
/** The old results branch kept at a reset (sandbox/keep-previous-results.ts), or why it was not. */
const KeptResults = z.union([
  z.strictObject({ kind: z.literal('keep'), branch: Str, sha: Str }),
  z.strictObject({ kind: z.literal('none'), why: z.enum(['moved', 'deleted', 'in-head', 'no-free-name', 'failed']), detail: Str.optional() }),
]);
const Results = Nested.nullable().meta({ description: 'the results branch peers/<project> in your repository, when a run published one' });
const Spent = z.strictObject({ spent: z.number(), cap: z.number().nullable() });

/** The tick and peer, with that tick line's `gate_time` (runs.jsonl; its shape is src/loop/gate-time.ts's, a state file's: Nested). */
const GateTimeRow = z.looseObject({ tick: z.number(), peer: Str });

/** The run part of `status --json` (src/report/run-summary.ts statusJson), absent before a first run. */
const RunStatus = {
  tick: z.number().nullable(),
  next_peer: NullableStr.optional(),
  next_retry: z
    .strictObject({ retry: z.number(), of: z.number().nullable() })
    .nullable()
    .optional()
    .meta({ description: 'the next peer failed its last turn and goes again: its retry number and how many it gets (health.max_retries)' }),
  running: z.boolean().optional(),
  lock_pid: z.number().nullable().optional(),
  last_stop: Nested.nullable(),
  finished_by: NullableStr.optional(),
  script_ends: z.array(Str).optional().meta({ description: "a rehearsal past the end of its scenario: each peer's \"has only N scripted tick(s)\" (rehearsal/served.jsonl); empty otherwise" }),
  current_turn: Nested.nullable(),
  halted: Nested.nullable().optional(),
  blocked: Nested.nullable().optional(),
  peers: z.record(Str, Nested).optional(),
  waiting: z.array(z.strictObject({ peer: Str, until: Str, reason: Str })).optional(),
  vendor_unreachable: z
    .strictObject({ turns: z.number(), host: Str, stop_after: z.number().nullable() })
    .nullable()
    .optional()
    .meta({ description: 'turns in a row whose vendor could not be reached (DNS, a proxy, a firewall), the host, and after how many the run stops (budget.max_consecutive_failures); null when the last turn reached its vendor' }),
  operator: z.strictObject({ paused: z.array(Str), max_runtime_s: z.number().nullable(), error: NullableStr }).optional(),
  budget: z
    .strictObject({
      ticks: Spent,
      runtime_s: Spent,
      consecutive_failures: Spent,
      tokens: Spent,
      usd: z.strictObject({ spent: Usd, cap: Usd.nullable(), mode: NullableStr }),
      wasted_runtime_s: z.number(),
    })
    .optional(),
  bill: Nested.optional(),
  gates: z
    .strictObject({
      head: NullableStr,
      results: z.record(Str, Nested),
      red_streak: z.record(Str, z.number()),
      expensive: z.record(Str, Nested).meta({ description: 'expensive goals: the last measurement of each and the commit it judged' }),
      time: z.array(GateTimeRow).meta({ description: 'gate time per tick: synchronous, and which gates ran in the background' }),
    })
    .optional(),
  clean_ticks: z.number().optional(),
  unattested_commits: z.array(Str).optional().meta({ description: 'commits made outside any attested turn: credited to no peer' }),
  warnings: z.array(Str).optional(),
  run_log: z.strictObject({ path: Str, ticks: z.number(), skipped_lines: z.number() }).optional(),
};

export const StatusJson = z.strictObject({ ...ProjectRow.shape, ...RunStatus });
const StatusOutput = z.strictObject({ ...StatusJson.shape, results: Results, archives: z.array(ArchivedRunJson) });

const ErrorJson = z.strictObject({
  message: Str,
  exit_code: z.number(),
  location: z.strictObject({ file: Str, line: z.number().optional(), column: z.number().optional() }).nullable(),
  hint: NullableStr,
});

const PauseOutput = z.strictObject({ project: Str, changed: z.array(Str), paused: z.array(Str), running: z.boolean(), control: Str });
const Finished = z.strictObject({ stop: Str, why: Str, next: z.array(Str), exit_code: z.number() });

export const OUTPUT_SCHEMAS = {
  status: StatusOutput,
  ls: z.union([
    z.strictObject({
      projects: z.array(
        z.strictObject({
          ...ProjectRow.shape,
          missing: z.boolean().meta({ description: "the project's directory is not there (deleted, moved or not mounted): the entry is kept until `peers rm`" }),
        }),
      ),
    }),
    // --target k8s: the runs on a cluster (sandbox/k8s/k8s-ls.ts).
    z.strictObject({
      context: Str,
      runs: z.array(
        z.strictObject({
          namespace: Str,
          project: Str,
          pod: Str,
          status: z.enum(['running', 'stopped', 'ended', 'starting', 'failed']),
          exit_code: z.number().nullable(),
          started_at: NullableStr,
          node: NullableStr,
          repository: NullableStr,
          started_by: NullableStr,
        }),
      ),
    }),
  ]),
  info: z.strictObject({
    repo: Str,
    config_path: Str,
    goals_path: Str,
    peers: z.array(z.looseObject({ name: Str, tool: Str, argv: z.array(Str), env: z.record(Str, Str) })),
    budget: Nested,
    usd_cap: Nested,
    health: Nested,
    goal_settings: Nested,
    goals: z.strictObject({ hard: z.array(Nested), soft: z.array(Nested) }),
    egress: Nested,
    setup: Str.optional().meta({ description: "config.yaml's setup: the command that installs the gates' dependencies (peers init proposes it from a lockfile)" }),
    modes: z.array(Str).optional().meta({ description: 'the goal programs `peers init --modes` installed' }),
  }),
  bugs: z.strictObject({
    summary: z.strictObject({
      total: z.number(),
      open_blocking: z.number(),
      fixed: z.number(),
      deferred: z.number(),
      reproduced: z.number(),
      open_by_severity: z.record(Str, z.number()),
      by_severity: z.record(Str, z.number()),
    }),
    reports: z.array(Nested),
    warnings: z.array(Str),
  }),
  report: z.strictObject({ report_path: Str, html_path: Str.optional(), markdown: Str, status: z.strictObject({ state_dir: Str, ...RunStatus }), ticks: z.number(), stops: z.array(Nested), results: Results }),
  replay: z.strictObject({
    tick: z.looseObject({ gates: z.looseObject({ hard: z.record(Str, Str).optional(), soft: z.record(Str, z.unknown()).optional() }).optional() }),
    prompt: NullableStr,
  }),
  'modes:list': z.strictObject({ modes: z.array(z.looseObject({ name: Str, description: Str, adds: Str, standalone: z.boolean(), requires: z.array(Str), composes_with: z.array(Str), hard: z.array(Str), soft: z.array(Str), config: Nested })) }),
  doctor: z.strictObject({ checks: z.array(z.strictObject({ id: Str, title: Str, status: z.enum(['ok', 'warn', 'fail', 'skip']), detail: Str, fix: Str.optional(), required: z.boolean() })), ok: z.boolean() }),
  verify: z.strictObject({ project: Str, head: Str, ok: z.boolean(), setup: Nested.nullable().optional(), hard: z.array(Nested), commands: z.array(Nested), finished_at: Str, duration_ms: z.number(), notes: z.array(Str), verify_file: Str }),
  check: z.strictObject({ id: Str, pass: z.boolean(), report: Str }),
  commands: z.strictObject({ commands: z.array(Nested) }),
  pause: PauseOutput,
  resume: PauseOutput,
  down: z.strictObject({ path: Str, project: Str, was_running: z.boolean(), leftovers: z.boolean(), stop_reason: NullableStr, results: Results, repo_check: z.strictObject({ checked: z.boolean(), unchanged: z.boolean(), changed: z.array(Str), line: Str }), seconds: z.number() }),
  reset: z.strictObject({ state_dir: Str, archived: ArchivedRunJson.nullable(), previous_results: z.strictObject({ branch: Str, sha: Str }).nullable(), kept_results: KeptResults.optional() }),
  up: z.strictObject({
    name: Str.optional(),
    project: Str.optional(),
    pod: Str.optional(),
    already_running: z.boolean().optional(),
    state_dir: Str.optional(),
    seconds: z.number().optional(),
    clone: Str.optional(),
    results: Results.optional(),
    decision: Str.optional(),
    finished: Finished.optional(),
    archived: ArchivedRunJson.nullable().optional(),
    previous_results: z.strictObject({ branch: Str, sha: Str }).nullable().optional(),
    kept_results: KeptResults.optional(),
    notes: z.array(Str).optional(),
    // --target k8s
    namespace: Str.optional(),
    context: Str.optional(),
    image: Str.optional(),
    resumed: z.boolean().optional(),
    // --dry-run
    yaml: Str.optional(),
    objects: z.array(Nested).optional(),
    budget_policy: Nested.optional(),
    create_pod: z.array(Str).optional(),
    start_pod: z.array(Str).optional(),
    create_containers: z.array(Nested).optional(),
    shared_dirs: z.array(Str).optional(),
  }),
  init: Nested,
  new: Nested,
  amend: Nested,
  'ack-block': z.strictObject({ repo: Str, step: Str, acked: z.array(Str), found_in: Str }),
  'image:build': Nested,
  demo: Nested,
  rm: z.strictObject({ name: Str, path: Str, removed: z.boolean(), state_dir: Str, state_dir_kept: z.boolean() }),
  prune: z.strictObject({
    dry_run: z.boolean(),
    older_than_s: z.number(),
    pruned: z.array(z.strictObject({ project: Str, path: Str, archived_at: Str, bytes: z.number() })),
    bytes: z.number(),
  }),
  review: z.strictObject({
    state_dir: Str,
    handoff: z.strictObject({ sha: Str, peer: NullableStr, subject: Str, self_review: NullableStr }).nullable(),
    reviews: z.array(z.strictObject({ sha: Str, peer: NullableStr, goal: Str, pass: z.boolean().nullable(), subject: Str, review: NullableStr })),
  }),
} satisfies Record<string, z.ZodType>;

export type OutputName = keyof typeof OUTPUT_SCHEMAS;

/** The error document of any command (`{ schema_version, error }`). */
export const ERROR_OUTPUT = z.strictObject({ error: ErrorJson });

/** The JSON Schema of `peers <command> --json` (what `peers schema <command>` prints). */
export function outputJsonSchema(command: OutputName): Record<string, unknown> {
  const body = OUTPUT_SCHEMAS[command] as z.ZodType;
  const shape = body instanceof z.ZodObject ? body.shape : {};
  const doc = z.object({ schema_version: z.literal(SCHEMA_VERSION), ...shape }).catchall(z.never());
  return {
    ...(z.toJSONSchema(doc, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>),
    $id: `https://peers.local/schema/output/${command.replaceAll(':', '-')}.schema.json`,
    title: `peers ${command.replaceAll(':', ' ')} --json`,
  };
}
