// What `iwlab reproduce` leaves in the run store about its plan, so that `iwlab report` and the
// dashboard can say how far it got and report the same runs it would.
import {
  armOf,
  type ExperimentSpec,
  experimentOf,
  type RunStore,
  weightRatio,
} from '@iwlab/experiments';
import { ratioLabel } from './charts.js';

const NOTES_KEY = 'reproduce.notes';
const PLAN_KEY = 'reproduce.plan';

/** One line per run, as the CLI prints it: experiment · model · arm · weights · seed. */
export function runLabel(spec: ExperimentSpec): string {
  return `${experimentOf(spec)} · ${spec.model.kind} · ${armOf(spec)} · w ${ratioLabel(weightRatio(spec))} · seed ${spec.seed}`;
}

/** Records the plan before it runs: its notes and the ids of every run it will make. */
export function storePlan(
  store: RunStore,
  notes: readonly string[],
  runIds: readonly string[],
): void {
  store.setMeta(NOTES_KEY, notes);
  store.setMeta(PLAN_KEY, runIds);
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
export function reportNotes(store: RunStore, runIds?: readonly string[]): string[] {
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
