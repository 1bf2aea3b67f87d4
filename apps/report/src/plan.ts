// What `iwlab reproduce` and `iwlab sweep` leave in the run store about their plan, so that
// `iwlab report` and the dashboard can say how far it got and report the same runs it would.
import {
  armOf,
  type ExperimentSpec,
  experimentOf,
  lossLabel,
  type RunStore,
  ratioLabel,
  weightRatio,
} from '@iwlab/experiments';

const NOTES_KEY = 'reproduce.notes';
const PLAN_KEY = 'reproduce.plan';
const TITLE_KEY = 'plan.title';

/**
 * One line per run, as the CLI prints it: experiment · model · arm [· loss, when not the paper's
 * cross-entropy] · weights · seed.
 */
export function runLabel(spec: ExperimentSpec): string {
  const loss = spec.loss.name === 'ce' ? '' : ` · loss ${lossLabel(spec.loss)}`;
  return `${experimentOf(spec)} · ${spec.model.kind} · ${armOf(spec)}${loss} · w ${ratioLabel(weightRatio(spec))} · seed ${spec.seed}`;
}

/**
 * Records the plan before it runs: its notes, its title (a sweep file's; `reproduce` has the
 * report's default) and the ids of every run it will make.
 */
export function storePlan(
  store: RunStore,
  plan: {
    readonly notes: readonly string[];
    readonly runIds: readonly string[];
    readonly title?: string;
  },
): void {
  store.setMeta(NOTES_KEY, plan.notes);
  store.setMeta(PLAN_KEY, plan.runIds);
  store.setMeta(TITLE_KEY, plan.title ?? null);
}

/** The last stored plan's title, if it had one. */
function storedTitle(store: RunStore): string | undefined {
  const title = store.getMeta(TITLE_KEY);
  return typeof title === 'string' ? title : undefined;
}

/** The ids of the last stored plan, if a plan was stored. */
export function storedPlan(store: RunStore): string[] | undefined {
  const ids = store.getMeta(PLAN_KEY);
  return Array.isArray(ids) ? ids.map(String) : undefined;
}

/**
 * The notes shown at the top of a report: the last plan's, plus, when only `runIds` are
 * reported, how many other runs the store holds.
 */
function reportNotes(store: RunStore, runIds?: readonly string[]): string[] {
  const stored = store.getMeta(NOTES_KEY);
  const lines = Array.isArray(stored) ? stored.map(String) : [];
  if (runIds !== undefined) {
    const planned = new Set(runIds);
    const others = store.listRuns().filter((run) => !planned.has(run.id)).length;
    if (others > 0) {
      lines.push(
        `${others} other run(s) in ${store.file} are not part of this plan (other settings or an earlier version) and are left out; \`iwlab report --all\` reports every run.`,
      );
    }
  }
  return lines;
}

/**
 * What a report of the stored plan is built with: its notes, its title and its runs (`runIds`;
 * none: every run in the store).
 */
export function planReportOptions(
  store: RunStore,
  runIds: readonly string[] | undefined,
): { notes: string[]; runIds?: readonly string[]; title?: string } {
  const title = storedTitle(store);
  return {
    notes: reportNotes(store, runIds),
    ...(runIds === undefined ? {} : { runIds }),
    ...(title === undefined ? {} : { title }),
  };
}
