// The live dashboard: a local web page that follows a run store while a sweep fills it. The top
// panel (progress of the plan, the runs in progress with their latest numbers, the failures) is
// refreshed every few seconds; the report below it (claims, curves, boundaries) is rebuilt when a
// run has new epochs. Trials write the store from their own processes, so the dashboard can run
// beside `iwlab reproduce` (its `--dashboard` option) or on its own (`iwlab dashboard`).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EpochRow, FINISHED_STATUSES, RunStore, type StoredRun } from '@iwlab/experiments';
import { planReportOptions, runLabel, storedPlan } from './plan.js';
import {
  ACTIVITY_EPOCHS,
  buildReport,
  describeUnfinished,
  escapeHtml,
  plannedRuns,
  progressOf,
  type RunActivity,
  type RunProgress,
  runActivity,
  workerOf,
} from './report.js';

export const DEFAULT_DASHBOARD_PORT = 4780;

export interface DashboardOptions {
  /** The run store (SQLite) to follow. */
  readonly db: string;
  /** 0 picks a free port. Default 4780. */
  readonly port?: number;
  /** Default 127.0.0.1: the page shows file paths and errors, so it is not served to the network. */
  readonly host?: string;
  /** How often the page asks for news. Default 2 s. */
  readonly refreshSeconds?: number;
  /**
   * The shortest time between two builds of the report below the panel (default 15 s; at least
   * ten times the last build's time). A build takes seconds for a full store and would otherwise
   * compete with the training for the CPU. When the plan has just finished it is rebuilt at once.
   */
  readonly reportEverySeconds?: number;
  /** Follow every run in the store, not only the last `reproduce` plan's. */
  readonly allRuns?: boolean;
  /** The time the page is computed at (ms since the epoch); default `Date.now`. For tests. */
  readonly clock?: () => number;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

/** What the page polls: the panel's HTML and the version of the report it would get now. */
export interface DashboardState {
  readonly version: string;
  readonly progress: RunProgress;
  readonly liveHtml: string;
}

interface ReportBuild {
  readonly version: string;
  readonly html: Promise<string>;
  readonly started: number;
  /** Set when the build has finished. */
  ms?: number;
}

/** Reads the store, and keeps the last report it built. */
class StoreWatcher {
  readonly #store: RunStore;
  readonly #allRuns: boolean;
  readonly #reportEveryMs: number;
  readonly #clock: () => number;
  #report: ReportBuild | undefined;

  constructor(db: string, allRuns: boolean, reportEveryMs: number, clock: () => number) {
    this.#store = new RunStore(db);
    this.#allRuns = allRuns;
    this.#reportEveryMs = reportEveryMs;
    this.#clock = clock;
  }

  close(): void {
    this.#store.close();
  }

  #runIds(): string[] | undefined {
    return this.#allRuns ? undefined : storedPlan(this.#store);
  }

  /**
   * The version of the report to show at `now`, from the run list alone (no epoch reads): what
   * `/report.html` needs. It changes with any run's status or epoch count.
   */
  version(now: number): string {
    const ids = this.#runIds();
    const { runs, planned } = plannedRuns(this.#store, ids);
    return this.#versionOf(ids, runs, planned, now);
  }

  #versionOf(
    ids: readonly string[] | undefined,
    runs: readonly StoredRun[],
    planned: number,
    now: number,
  ): string {
    const data = createHash('sha1')
      .update(
        JSON.stringify([ids?.length ?? null, runs.map((r) => [r.id, r.status, r.epochsCompleted])]),
      )
      .digest('hex')
      .slice(0, 16);
    // The same count as progressOf's 'finished': whether a run is stopped does not enter it.
    const complete = runs.filter((r) => FINISHED_STATUSES.includes(r.status)).length === planned;
    return this.#reportVersion(data, complete, now);
  }

  state(now: number): DashboardState {
    const ids = this.#runIds();
    const { runs, planned } = plannedRuns(this.#store, ids);
    // One read per run in progress: its last epochs give both its activity and its numbers.
    const live = new Map<string, LiveRun>();
    for (const run of runs) {
      if (run.status !== 'running') continue;
      const recent = this.#store.epochs(run.id, {
        last: Math.max(ACTIVITY_EPOCHS, run.spec.evaluation.every),
      });
      live.set(run.id, { run, recent, activity: runActivity(run, recent, now) });
    }
    const progress = progressOf(
      runs,
      planned,
      (run) => live.get(run.id)?.activity.stopped ?? false,
    );
    return {
      version: this.#versionOf(ids, runs, planned, now),
      progress,
      liveHtml: liveHtml(
        [...live.values()],
        runs.filter((r) => r.status === 'failed'),
        progress,
        now,
      ),
    };
  }

  /** The data's version when a new build is due, else the version of the report built last. */
  #reportVersion(data: string, complete: boolean, now: number): string {
    const last = this.#report;
    if (last === undefined || last.version === data || complete) return data;
    if (last.ms === undefined) return last.version;
    const due = last.started + Math.max(this.#reportEveryMs, 10 * last.ms);
    return now >= due ? data : last.version;
  }

  /** The report of `version` (from `state()`): the last build's, or a new one. */
  report(version: string): Promise<string> {
    if (this.#report?.version !== version) {
      const ids = this.#runIds();
      const started = this.#clock();
      // Judged at the panel's clock, so the report's banner and the panel above it agree.
      const html = buildReport(this.#store, {
        ...planReportOptions(this.#store, ids),
        now: started,
      }).then((r) => r.html);
      const build: ReportBuild = { version, html, started };
      this.#report = build;
      html.then(
        () => {
          build.ms = this.#clock() - started;
        },
        () => {
          // A failed build is not kept: the next request tries again.
          if (this.#report === build) this.#report = undefined;
        },
      );
    }
    return this.#report.html;
  }
}

/** A run in progress, with its last epochs (at least the last evaluation's) and its activity. */
interface LiveRun {
  readonly run: StoredRun;
  readonly recent: readonly EpochRow[];
  readonly activity: RunActivity;
}

/** The latest training loss and evaluated accuracy among a run's recent epochs. */
function latestNumbers(recent: readonly EpochRow[]): { loss?: number; accuracy?: string } {
  const train = recent.filter((r) => r.split === 'train').at(-1);
  const evaluated = recent
    .filter((r) => r.split !== 'train' && r.metrics.accuracy !== undefined)
    .at(-1);
  return {
    ...(train?.metrics.loss === undefined ? {} : { loss: train.metrics.loss }),
    ...(evaluated?.metrics.accuracy === undefined
      ? {}
      : {
          accuracy: `${evaluated.metrics.accuracy.toFixed(3)} (${evaluated.split}, epoch ${evaluated.epoch + 1})`,
        }),
  };
}

function liveHtml(
  running: readonly LiveRun[],
  failed: readonly StoredRun[],
  progress: RunProgress,
  now: number,
): string {
  const unfinished = describeUnfinished(progress);
  const head = `<p class="headline"><b>${progress.finished} of ${progress.planned} runs finished</b>${unfinished ? ` · still to finish: ${escapeHtml(unfinished)}` : ''} · checked ${new Date(now).toLocaleTimeString('en-GB')}
<progress max="${progress.planned}" value="${progress.finished}"></progress></p>`;
  const rows = running
    .map(({ run: r, recent, activity }) => {
      const latest = latestNumbers(recent);
      const left =
        activity.secondsPerEpoch === undefined
          ? ''
          : duration(activity.secondsPerEpoch * Math.max(0, r.spec.epochs - r.epochsCompleted));
      const worker = workerOf(r);
      return `<tr><td>${escapeHtml(runLabel(r.spec))}<div class="src"><code>${r.id}</code>${worker === undefined ? '' : ` on ${escapeHtml(worker)}`}</div></td>
<td><progress max="${r.spec.epochs}" value="${r.epochsCompleted}"></progress> ${r.epochsCompleted}/${r.spec.epochs}</td>
<td>${latest.loss === undefined ? '' : latest.loss.toPrecision(4)}</td><td>${latest.accuracy ?? ''}</td>
<td>${left}</td><td>${r.attempts}</td><td${activity.stopped ? ' class="stalled"' : ''}>${duration(activity.quietSeconds)}${activity.stopped ? ': stopped?' : ''}</td></tr>`;
    })
    .join('\n');
  const inProgress =
    running.length === 0
      ? '<p>No run in progress.</p>'
      : `<table class="live-runs"><thead><tr><th>in progress</th><th>epochs</th><th>train loss</th><th>accuracy</th><th>left, at its recent pace</th><th>attempt</th><th>since its last change</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="src">A run whose process stopped stays "in progress" in the store until it is resumed; it is marked "stopped?" once its last change is older than ten of its epochs (and two minutes).</p>`;
  const failures =
    failed.length === 0
      ? ''
      : `<table class="live-failed"><thead><tr><th>failed</th><th>error</th></tr></thead><tbody>${failed
          .map(
            (r) =>
              `<tr><td>${escapeHtml(runLabel(r.spec))}<div class="src"><code>${r.id}</code></div></td><td>${escapeHtml(r.error ?? '')}</td></tr>`,
          )
          .join('\n')}</tbody></table>`;
  return `${head}\n${inProgress}\n${failures}`;
}

/** "45 s", "12 min", "3.5 h". */
export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const LIVE_STYLE = `#live{border-bottom:2px solid #88a;padding:0.3em 0 0.6em}
#live progress{width:12em;vertical-align:middle}.live-runs,.live-failed{font-size:0.9em;margin:0.4em 0}
#live .offline,#live .stalled{color:#b00;font-weight:bold}`;

/**
 * The page's only script: asks for the panel every `refreshMs`, and for the report when the data
 * behind it changed. Kept tiny and dependency-free; the report itself has no script.
 */
function liveScript(version: string, refreshMs: number): string {
  return `<script>
(() => {
  let version = ${JSON.stringify(version)};
  const live = document.getElementById('live-panel');
  const status = document.getElementById('live-status');
  const report = document.getElementById('report');
  async function tick() {
    try {
      const response = await fetch('api/state', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const state = await response.json();
      live.innerHTML = state.liveHtml;
      status.textContent = '';
      if (state.version !== version) {
        const page = await fetch('report.html', { cache: 'no-store' });
        if (!page.ok) throw new Error('HTTP ' + page.status);
        const doc = new DOMParser().parseFromString(await page.text(), 'text/html');
        report.innerHTML = doc.body.innerHTML;
        version = page.headers.get('x-iwlab-version') || state.version;
      }
    } catch (error) {
      status.textContent = 'dashboard server not answering (' + error.message + '); retrying';
    }
    setTimeout(tick, ${refreshMs});
  }
  setTimeout(tick, ${refreshMs});
})();
</script>`;
}

/** The report's page with the live panel above it and the script at the end. */
function dashboardPage(reportHtml: string, state: DashboardState, refreshMs: number): string {
  const bodyStart = reportHtml.indexOf('<body>');
  const bodyEnd = reportHtml.lastIndexOf('</body>');
  const headEnd = reportHtml.indexOf('</head>');
  if (bodyStart < 0 || bodyEnd < 0 || headEnd < 0) throw new Error('report HTML without head/body');
  const head = `${reportHtml.slice(0, headEnd)}<style>${LIVE_STYLE}</style>`;
  const body = reportHtml.slice(bodyStart + '<body>'.length, bodyEnd);
  return `${head}</head>
<body>
<section id="live"><div id="live-panel">${state.liveHtml}</div><div id="live-status" class="offline"></div></section>
<div id="report">${body}</div>
${liveScript(state.version, refreshMs)}
</body></html>
`;
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** Serves the dashboard of `options.db` until `close()`. Resolves once it listens. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const clock = options.clock ?? Date.now;
  const watcher = new StoreWatcher(
    options.db,
    options.allRuns ?? false,
    (options.reportEverySeconds ?? 15) * 1000,
    clock,
  );
  const refreshMs = Math.round((options.refreshSeconds ?? 2) * 1000);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'only GET');
    if (path === '/api/state') {
      return send(res, 200, 'application/json', JSON.stringify(watcher.state(clock())));
    }
    if (path === '/report.html') {
      const version = watcher.version(clock());
      const html = await watcher.report(version);
      return send(res, 200, 'text/html; charset=utf-8', html, { 'x-iwlab-version': version });
    }
    if (path === '/') {
      const state = watcher.state(clock());
      const html = await watcher.report(state.version);
      return send(res, 200, 'text/html; charset=utf-8', dashboardPage(html, state, refreshMs));
    }
    return send(res, 404, 'text/plain', `no page ${path}: try /, /report.html or /api/state`);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) send(res, 500, 'text/plain', `dashboard: ${message}`);
      else res.end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((ready, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? DEFAULT_DASHBOARD_PORT, host, () => {
        server.off('error', fail);
        ready();
      });
    });
  } catch (error) {
    watcher.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `dashboard: port ${options.port ?? DEFAULT_DASHBOARD_PORT} on ${host} is in use; pass --port with another (0 picks a free one)`
        : `dashboard: cannot listen on ${host}:${options.port ?? DEFAULT_DASHBOARD_PORT}: ${(error as Error).message}`,
    );
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => {
          watcher.close();
          done();
        });
      }),
  };
}
