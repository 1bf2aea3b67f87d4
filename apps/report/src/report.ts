// The report: one self-contained HTML file (inline CSS and SVG, no script, no network) built
// from a run store: the claims table with the numbers behind each verdict, then the curves and
// decision boundaries, then the provenance of every run.
import {
  type CellEffect,
  type Claim,
  cellEffect,
  DEFAULT_CLAIM_THRESHOLDS,
  DEFAULT_SETTLE_TOLERANCE,
  type EpochRow,
  evaluateClaims,
  evaluatePredictions,
  FINISHED_STATUSES,
  groupCells,
  loadRunSeries,
  MARGINS_SPLIT,
  marginConvergence,
  type RunSeries,
  type RunStore,
  type StoredRun,
  settlingLabel,
  settlingTimes,
  testsPaperClaims,
  weightRatio,
} from '@iwlab/experiments';
import {
  type BoundarySnapshot,
  boundaryChart,
  curvesChart,
  finalFractionChart,
  MAX_POINTS_PER_CURVE,
  panelName,
} from './charts.js';

export interface ReportOptions {
  readonly title?: string;
  /** Lines shown at the top: how the runs depart from the paper, parts skipped, etc. */
  readonly notes?: readonly string[];
  readonly generatedAt?: Date;
  /**
   * Only these runs (e.g. one reproduction's plan); default every run in the store. Runs of an
   * earlier plan with other settings would otherwise form cells of their own and sway the claims.
   */
  readonly runIds?: readonly string[];
  /** The sweep that ran these runs has stopped: a run left 'running' was interrupted. */
  readonly sweepStopped?: boolean;
  /** The time progress is judged at (ms; default now): the dashboard's clock, for one verdict. */
  readonly now?: number;
}

/**
 * How far the reported runs got. Verdicts use finished runs only, so while any run is still to
 * finish (in progress, interrupted, failed, or never started) they are provisional.
 */
export interface RunProgress {
  readonly planned: number;
  /** 'done' or 'diverged': running the plan again would not change them. */
  readonly finished: number;
  /** Count per state of the runs still to finish: 'in progress', 'interrupted', 'failed', 'not started'. */
  readonly unfinished: Readonly<Record<string, number>>;
}

export interface Report {
  readonly html: string;
  readonly claims: readonly Claim[];
  /** The implicit-bias theory's predictions beyond the paper's claims (reference B.14). */
  readonly predictions: readonly Claim[];
  readonly effects: readonly CellEffect[];
  readonly progress: RunProgress;
  /** True when some planned run has not finished: the verdicts may still change. */
  readonly provisional: boolean;
}

/** The runs a report covers (`runIds`, or every run) and how many were planned. */
export function plannedRuns(
  store: RunStore,
  runIds?: readonly string[],
): { readonly runs: StoredRun[]; readonly planned: number } {
  const only = runIds === undefined ? undefined : new Set(runIds);
  const runs = store.listRuns().filter((run) => only === undefined || only.has(run.id));
  return { runs, planned: only?.size ?? runs.length };
}

/** How lively a 'running' run is, from its last change and its last epochs' pace. */
export interface RunActivity {
  /** Mean time per epoch (training and evaluation) over the last ten, if stored. */
  readonly secondsPerEpoch?: number;
  readonly quietSeconds: number;
  /** Quiet for longer than ten of its epochs, and two minutes: its process has stopped. */
  readonly stopped: boolean;
}

/** How many of a run's last epochs `runActivity` reads. */
export const ACTIVITY_EPOCHS = 10;

/** `recent`: the run's last epoch rows, at least its last `ACTIVITY_EPOCHS` epochs. */
export function runActivity(run: StoredRun, recent: readonly EpochRow[], now: number): RunActivity {
  const times = recent
    .filter((r) => r.split === 'train')
    .slice(-ACTIVITY_EPOCHS)
    .map((r) => r.metrics.seconds)
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const perEpoch = times.length === 0 ? undefined : times.reduce((a, b) => a + b, 0) / times.length;
  const quietSeconds = Math.max(0, (now - Date.parse(run.updatedAt)) / 1000);
  return {
    ...(perEpoch === undefined ? {} : { secondsPerEpoch: perEpoch }),
    quietSeconds,
    stopped: quietSeconds > Math.max(120, 10 * (perEpoch ?? 0)),
  };
}

/**
 * Progress of `runs` out of `planned`: finished ('done', 'diverged'), or still to finish by state;
 * planned runs not in the store are 'not started', and a 'running' run counts as 'interrupted'
 * when `interrupted(run)` says so, else 'in progress'.
 */
export function progressOf(
  runs: readonly StoredRun[],
  planned: number,
  interrupted: (run: StoredRun) => boolean,
): RunProgress {
  const unfinished: Record<string, number> = {};
  let finished = 0;
  for (const run of runs) {
    if (FINISHED_STATUSES.includes(run.status)) {
      finished++;
      continue;
    }
    const state =
      run.status !== 'running' ? run.status : interrupted(run) ? 'interrupted' : 'in progress';
    unfinished[state] = (unfinished[state] ?? 0) + 1;
  }
  if (planned > runs.length) unfinished['not started'] = planned - runs.length;
  return { planned, finished, unfinished };
}

/**
 * `progressOf` the runs of `plannedRuns` (default: every run): a 'running' run is 'interrupted' when
 * the sweep that ran it has stopped (`sweepStopped`) or when `runActivity` says it stopped.
 */
export function runProgress(
  store: RunStore,
  { runs, planned }: ReturnType<typeof plannedRuns> = plannedRuns(store),
  options: { readonly now?: number; readonly sweepStopped?: boolean } = {},
): RunProgress {
  const now = options.now ?? Date.now();
  return progressOf(
    runs,
    planned,
    (run) =>
      options.sweepStopped === true ||
      runActivity(run, store.epochs(run.id, { last: ACTIVITY_EPOCHS }), now).stopped,
  );
}

/** "1 interrupted, 12 not started", for the report and the CLI. */
export function describeUnfinished(progress: RunProgress): string {
  return Object.entries(progress.unfinished)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
}

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const VERDICT_CLASS: Record<string, string> = {
  reproduced: 'ok',
  'not reproduced': 'no',
  inconclusive: 'maybe',
};

function claimsTable(claims: readonly Claim[], provisional: boolean, id = 'claims'): string {
  const rows = claims
    .map((c) => {
      const evidence =
        c.evidence.length === 0
          ? '<em>no runs test this claim</em>'
          : `<ul>${c.evidence
              .map(
                (e) =>
                  `<li><b>${escapeHtml(e.cell)}</b>: ${escapeHtml(e.verdict)}. ${escapeHtml(e.numbers)}</li>`,
              )
              .join('')}</ul>`;
      return `<tr><td>${escapeHtml(c.statement)}<div class="src">${escapeHtml(c.source)}</div></td>
<td class="verdict ${VERDICT_CLASS[c.verdict]}">${escapeHtml(c.verdict)}${provisional ? '<div class="provisional">provisional</div>' : ''}</td>
<td>${evidence}<div class="rule">Rule: ${escapeHtml(c.rule)}</div></td></tr>`;
    })
    .join('\n');
  return `<table id="${id}" class="claims"><thead><tr><th>claim</th><th>verdict</th><th>evidence</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** The queue worker that trained the run last (`info.worker`, set by `@iwlab/queue`), if any. */
export function workerOf(run: StoredRun): string | undefined {
  const worker = run.info?.worker;
  return typeof worker === 'string' ? worker : undefined;
}

function runsTable(runs: readonly StoredRun[]): string {
  const rows = runs
    .map((r) => {
      const s = r.spec;
      const worker = workerOf(r);
      return `<tr><td><code>${r.id}</code></td><td>${escapeHtml(s.data.kind === 'synthetic' ? `2-D ${s.data.generator}` : 'CIFAR cat/dog')}</td>
<td>${escapeHtml(s.model.kind)}</td><td>${s.model.l2}</td><td>${s.model.dropout}</td><td>${s.model.batchNorm}</td>
<td>${weightRatio(s)}</td><td>${s.seed}</td><td>${r.status}</td><td>${r.epochsCompleted}/${s.epochs}</td>
<td>${r.seconds === null ? '' : r.seconds.toFixed(1)}</td><td>${escapeHtml(r.backend?.name ?? '')}${worker === undefined ? '' : ` on ${escapeHtml(worker)}`}</td><td>${r.attempts}</td>
<td>${escapeHtml(r.error ?? '')}</td></tr>`;
    })
    .join('\n');
  const commits = [...new Set(runs.map((r) => r.gitCommit ?? 'unknown'))];
  const versions = runs.find((r) => r.versions !== null)?.versions ?? {};
  return `<p>${runs.length} runs. Git commit(s): ${commits.map((c) => `<code>${escapeHtml(c)}</code>`).join(', ')}.
Versions: ${Object.entries(versions)
    .map(([k, v]) => `${escapeHtml(k)} ${escapeHtml(v)}`)
    .join(', ')}.</p>
<table class="runs"><thead><tr><th>id</th><th>data</th><th>model</th><th>L2</th><th>dropout</th><th>BN</th><th>w1/w0</th><th>seed</th><th>status</th><th>epochs</th><th>seconds</th><th>backend</th><th>attempts</th><th>error</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

async function boundaries(store: RunStore, effects: readonly CellEffect[]): Promise<string> {
  const twoD = effects.filter((e) => e.cell.runs[0]?.spec.data.kind === 'synthetic');
  const snapshots: BoundarySnapshot[] = [];
  let points: { x: number; y: number; label: number }[] = [];
  for (const effect of twoD) {
    const seed = Math.min(...effect.cell.runs.map((r) => r.spec.seed));
    for (const run of effect.cell.runs.filter((r) => r.spec.seed === seed)) {
      for (const a of store.artifacts(run.id, 'boundary')) {
        const v = a.value as { xs: number[]; ys: number[]; p1: number[] };
        snapshots.push({
          panel: panelName(effect.cell),
          weight: weightRatio(run.spec),
          epoch: a.epoch + 1,
          ...v,
        });
      }
      if (points.length === 0) {
        const p = store.artifacts(run.id, 'points')[0]?.value as
          | { x: number[]; y: number[] }
          | undefined;
        if (p !== undefined) {
          points = p.y.map((label, i) => ({
            x: p.x[2 * i] as number,
            y: p.x[2 * i + 1] as number,
            label,
          }));
        }
      }
    }
  }
  if (snapshots.length === 0) return '';
  // Enough test points to show the classes without drowning the boundaries.
  const shown = points.filter((_, i) => i % Math.max(1, Math.ceil(points.length / 200)) === 0);
  return `<h3>Decision boundaries (seed ${Math.min(...twoD.flatMap((e) => e.cell.runs.map((r) => r.spec.seed)))})</h3>
<figure class="boundaries">${await boundaryChart(snapshots, shown)}</figure>`;
}

/** "1:4 at 12, 4:1 never": when each weight's curve joins the unweighted one for good. */
function settling(effect: CellEffect): string {
  const times = settlingTimes(effect);
  if (times === null) return 'no unweighted run';
  return times.map(settlingLabel).join(', ');
}

async function experimentSection(
  store: RunStore,
  name: string,
  effects: readonly CellEffect[],
): Promise<string> {
  if (effects.length === 0) return '';
  const first = effects[0] as CellEffect;
  const synthetic = first.cell.runs[0]?.spec.data.kind === 'synthetic';
  const splits = synthetic ? ['test'] : ['in-domain', 'out-of-domain', 'noise'];
  const present = splits.filter((s) =>
    effects.some((e) => e.cell.runs.some((r) => r.series[s] !== undefined)),
  );
  const cls = synthetic ? 'positive' : 'dog';
  const parts = [
    `<h2>${escapeHtml(name)}</h2>`,
    `<figure>${await curvesChart(effects, {
      title: `Fraction predicted ${cls} per epoch, by weight (mean ± sd over seeds)`,
      splits: present,
      key: 'fractionPredicted',
      yTitle: `fraction predicted ${cls}`,
      logEpochs: synthetic,
      yDomain: [0, 1],
    })}</figure>`,
    `<table class="effects"><thead><tr><th>cell</th><th>weights</th><th>seeds</th><th>early effect E (epoch)</th><th>late effect S_end</th><th>fraction left L</th><th>S_end per seed</th><th>train accuracy at the end (lowest run)</th><th>smallest training margin, evaluation mode (&gt; 0: separated)</th><th>joins the unweighted curve (within ${DEFAULT_SETTLE_TOLERANCE}) at epoch</th></tr></thead><tbody>${effects
      .map(
        (e) =>
          `<tr><td>${escapeHtml(e.cell.label)}</td><td>${e.weights.map((w) => Number(w.toPrecision(4))).join(', ')}</td><td>${e.seeds}</td><td>${e.early.toFixed(3)} (${e.earlyEpoch})</td><td>${e.late.toFixed(3)}</td><td>${e.fractionLeft === null ? 'n/a' : e.fractionLeft.toFixed(3)}</td><td>${e.bySeed.length === 0 ? '—' : e.bySeed.map((s) => s.late.toFixed(3)).join(', ')}</td><td>${e.trainAccuracy === null ? 'n/a' : e.trainAccuracy.toFixed(3)}</td><td>${e.minMargin === null ? 'not recorded' : e.minMargin.toFixed(3)}</td><td>${settling(e)}</td></tr>`,
      )
      .join('')}</tbody></table>`,
  ];
  const longest = Math.max(...effects.map((e) => e.epochs.length));
  if (longest > MAX_POINTS_PER_CURVE) {
    parts.push(
      `<p class="src">Curves are drawn with at most ${MAX_POINTS_PER_CURVE} of their up to ${longest} evaluations: the x axis as drawn is cut into ${MAX_POINTS_PER_CURVE / 4} columns, each keeping its first, last, lowest and highest point. E, S_end and L use every evaluation.</p>`,
    );
  }
  if (synthetic) parts.push(await boundaries(store, effects));
  else {
    for (const e of effects) parts.push(`<figure>${await finalFractionChart(e, present)}</figure>`);
  }
  const withMargins = effects.filter((e) => marginConvergence(e) !== null);
  if (withMargins.length > 0) {
    parts.push(
      `<figure>${await curvesChart(withMargins, { title: 'Normalized training margin per epoch, by weight (prediction (c): one value for every weight)', splits: [MARGINS_SPLIT], key: 'normalizedMargin', yTitle: 'normalized margin', logEpochs: synthetic })}</figure>`,
    );
  }
  parts.push(
    `<figure>${await curvesChart(effects, { title: 'Training loss (weighted, reduced) per epoch', splits: ['train'], key: 'loss', yTitle: 'train loss', logEpochs: synthetic })}</figure>`,
    // The training row is the interpolation check (reference A.7.6): the claims are about nets
    // that separate their training data.
    `<figure>${await curvesChart(effects, { title: `Accuracy per epoch on the training batches (as trained) and on ${present[0] ?? 'test'}`, splits: ['train', present[0] ?? 'test'], key: 'accuracy', yTitle: 'accuracy', logEpochs: synthetic, yDomain: [0, 1] })}</figure>`,
  );
  return parts.join('\n');
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}th{background:#f4f4f4}
.verdict{font-weight:bold;white-space:nowrap}.ok{background:#e3f6e3}.no{background:#fbe3e3}.maybe{background:#fff6d6}
.src,.rule{color:#666;font-size:0.9em}.runs{font-size:0.85em}figure{margin:1em 0;overflow-x:auto}
.notes{background:#f7f7fb;border-left:4px solid #88a;padding:0.5em 1em}
.incomplete{background:#fff1e0;border-left:4px solid #d80;padding:0.5em 1em}.provisional{font-weight:normal;font-size:0.85em;color:#a50}`;

/** Builds the report from every run in the store, or from `options.runIds`. */
export async function buildReport(store: RunStore, options: ReportOptions = {}): Promise<Report> {
  const covered = plannedRuns(store, options.runIds);
  // Only finished runs make cells: the series of runs still training are not read.
  const cells = groupCells(
    loadRunSeries(
      store,
      covered.runs.filter((run) => run.status === 'done'),
    ),
  );
  const effects = cells
    .map(cellEffect)
    .filter((e): e is CellEffect => e !== null)
    .sort((a, b) => a.cell.label.localeCompare(b.cell.label));
  const claims = evaluateClaims(effects);
  const predictions = evaluatePredictions(effects);
  const progress = runProgress(store, covered, {
    ...(options.sweepStopped === undefined ? {} : { sweepStopped: options.sweepStopped }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const provisional = progress.finished < progress.planned;
  const otherLosses = effects.filter((e) => !testsPaperClaims(e.cell));
  const otherLossNote =
    otherLosses.length === 0
      ? ''
      : `<p class="src">${otherLosses.length} cell(s) trained with another loss (${escapeHtml(
          [...new Set(otherLosses.map((e) => (e.cell.runs[0] as RunSeries).spec.loss.name))].join(
            ', ',
          ),
        )}) are not evidence for these claims: the paper's objective is importance-weighted cross-entropy (reference A.2). Their weight effects are in the tables below.</p>`;
  const incomplete = provisional
    ? `<div id="incomplete" class="incomplete"><b>Incomplete:</b> ${progress.finished} of ${progress.planned} planned runs have finished (still to finish: ${escapeHtml(describeUnfinished(progress))}). The verdicts below use the finished runs only and may change when the rest finish: run the command that started them again to resume them.</div>`
    : '';
  const byExperiment = new Map<string, CellEffect[]>();
  for (const e of effects)
    byExperiment.set(e.cell.experiment, [...(byExperiment.get(e.cell.experiment) ?? []), e]);
  const sections: string[] = [];
  for (const [name, list] of byExperiment)
    sections.push(await experimentSection(store, name, list));
  const t = DEFAULT_CLAIM_THRESHOLDS;
  const seedsNote = effects.some((e) => e.seeds < 2)
    ? '<p class="src">Some cells have one seed: their verdicts cannot tell the weights\' effect from seed noise. Run with <code>--seeds 3</code> (or more seeds in the sweep file) before trusting them.</p>'
    : '';
  const title =
    options.title ?? 'iwlab: the effect of importance weighting (Byrd & Lipton, ICML 2019)';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Generated ${escapeHtml((options.generatedAt ?? new Date()).toISOString())} by <code>iwlab</code> from ${escapeHtml(store.file)}.</p>
${options.notes && options.notes.length > 0 ? `<div class="notes"><ul>${options.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></div>` : ''}
<h2>The paper's claims</h2>
<p>Runs that differ only in their importance weight and seed form a cell. For each cell, the
contrast of the fraction of test points predicted as class 1 (positive, or dog) between the
highest and the lowest weight is computed at every evaluation (seeds averaged first; signed, so
noise averages out instead of passing for an effect). E is its maximum in the first ⌈T/10⌉ of T
evaluations, S_end its mean over the last ⌈T/10⌉, L = S_end / E. Thresholds: early effect
E ≥ ${t.earlyEffect}; faded |L| ≤ ${t.faded}, persisted |L| ≥ ${t.persisted} (judged only where E reached
${t.earlyEffect}, and "persisted" only in a cell whose runs all separated their training data: the
paper speaks of such nets. Separated means every training example classified right, in evaluation
mode where the runs recorded their training margins, else by the training accuracy);
an arm keeps more of the effect than the unregularized cell when its S_end is ≥ ${t.keeps} higher,
and no more when ≤ ${t.keepsNot}, unless the difference is still moving beyond its noise towards
another verdict, or (dropout) the arm keeps more without having separated its training data: then
inconclusive. With several seeds, each seed alone must reach the verdict too.
A claim is reproduced (or not) when every cell that tests it agrees; otherwise, or with no cell, it is inconclusive.</p>
${seedsNote}
${incomplete}
${claimsTable(claims, provisional)}
${otherLossNote}
<h2>What the implicit-bias theory predicts</h2>
<p>Beyond the paper's claims, reference B.14 lists what the theory of gradient descent on separable
data predicts. That every weight's curve returns to the unweighted one is the second claim above.
Prediction (b) needs unregularized cells whose weights come in at least two sizes besides 1 (e.g.
4:1 and 16:1); prediction (c) needs runs that recorded their training margins
(<code>evaluation.margins</code>, on in the presets' runs).</p>
${claimsTable(predictions, provisional, 'predictions')}
${sections.join('\n')}
<h2>Runs</h2>
${runsTable(covered.runs)}
</body></html>
`;
  return { html, claims, predictions, effects, progress, provisional };
}
