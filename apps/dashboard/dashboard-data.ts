/**
 * What the dashboard shows: every registered project's `peers status --json` (the same view,
 * apps/project-view.ts), and for one project a drill-down adding its recent ticks and each
 * gate's timeline from the report model. Only registered projects can be asked for: the page
 * names a project by its registered path, never an arbitrary directory.
 */
import { roundMoney } from '../../src/cli/json-output/json-output.ts';
import { buildReportModel } from '../../src/report/report-model.ts';
import { listProjects, type ProjectEntry } from '../../sandbox/registry.ts';
import { projectJson, readProjectView } from '../project-view.ts';

const RECENT_TICKS = 30;

export type ProjectsSnapshot = { generated_at: string; projects: Array<Record<string, unknown>> };

async function oneProject(entry: ProjectEntry, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  try {
    return roundMoney(projectJson(await readProjectView(entry, env))) as Record<string, unknown>;
  } catch (error) {
    // One unreadable state dir must not take the whole page down: it shows as that project's error.
    return { name: entry.name ?? entry.path, path: entry.path, status: 'unreadable', error: (error as Error).message };
  }
}

export async function projectsSnapshot(env: NodeJS.ProcessEnv): Promise<ProjectsSnapshot> {
  const projects = await Promise.all(listProjects(env).map((p) => oneProject(p, env)));
  return { generated_at: new Date().toISOString(), projects };
}

/** One project's status plus its recent ticks and gate timelines; null when `path` is not registered. */
export async function projectDetail(path: string, env: NodeJS.ProcessEnv) {
  const entry = listProjects(env).find((p) => p.path === path);
  if (!entry) return null;
  const view = await readProjectView(entry, env);
  const status = projectJson(view);
  if (!view.summary) return { status, ticks: [], gates: [], ticks_total: 0 };
  const model = buildReportModel({ project: entry.name ?? entry.path, summary: view.summary, history: null, egress: null, generatedAt: new Date().toISOString() });
  return {
    status,
    ticks_total: model.ticks.length,
    ticks: model.ticks.slice(-RECENT_TICKS).reverse(),
    gates: model.gates.timelines.map((g) => ({ id: g.id, red_ticks: g.red_ticks, last_state: g.last_state, segments: g.segments })),
    outcome: model.outcome,
  };
}
