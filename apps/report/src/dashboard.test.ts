import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExperimentSpec, RunStore, runId } from '@iwlab/experiments';
import { afterEach, describe, expect, it } from 'vitest';
import { logregSpec } from './__tests__/specs.js';
import { type Dashboard, duration, startDashboard } from './dashboard.js';
import { storePlan } from './plan.js';

function spec(ratio: number): ExperimentSpec {
  return logregSpec({ weights: { kind: 'ratio', ratio } });
}

function recordEpochs(store: RunStore, id: string, from: number, to: number): void {
  for (let e = from; e < to; e++) {
    store.recordEpoch(id, e, 'train', { loss: 1 / (e + 1), accuracy: 0.9, seconds: 1.5 });
    store.recordEpoch(id, e, 'test', { 'fractionPredicted.positive': 0.5, accuracy: 0.75 });
  }
}

const open: Dashboard[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});

async function get(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('startDashboard', () => {
  it('follows the stored plan: progress, runs in progress, and the report, as the store fills', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'iwlab-dash-')), 'runs.sqlite');
    const writer = new RunStore(db);
    const [a, b, c] = [spec(0.25), spec(1), spec(4)];
    const ids = [runId(a), runId(b), runId(c)] as const;
    storePlan(writer, { notes: ['a note <b>'], runIds: ids });
    writer.beginRun(ids[0], a);
    recordEpochs(writer, ids[0], 0, 10);
    writer.finishRun(ids[0], 'done', { seconds: 1 });
    writer.beginRun(ids[1], b);
    // Trained on a queue worker (@iwlab/queue stores its name).
    writer.setInfo(ids[1], { worker: 'gpu-box:4242' });
    recordEpochs(writer, ids[1], 0, 3);
    // A run outside the plan (an earlier plan's): left out unless every run is asked for.
    const other = { ...a, epochs: 20 };
    writer.beginRun(runId(other), other);

    const dashboard = await startDashboard({ db, port: 0, reportEverySeconds: 0 });
    open.push(dashboard);
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const first = JSON.parse((await get(`${dashboard.url}api/state`)).text);
    expect(first.progress).toEqual({
      planned: 3,
      finished: 1,
      unfinished: { 'in progress': 1, 'not started': 1 },
    });
    expect(first.liveHtml).toContain('1 of 3 runs finished');
    expect(first.liveHtml).toContain('still to finish: 1 in progress, 1 not started');
    expect(first.liveHtml).toContain('w 1:1 · seed 0');
    expect(first.liveHtml).toContain(`<code>${ids[1]}</code> on gpu-box:4242`);
    expect(first.liveHtml).toContain('value="3"></progress> 3/10');
    expect(first.liveHtml).toContain('0.750 (test, epoch 3)');
    // 7 epochs left at 1.5 s each.
    expect(first.liveHtml).toContain('<td>11 s</td>');
    // Nothing changed: same version.
    expect(JSON.parse((await get(`${dashboard.url}api/state`)).text).version).toBe(first.version);

    const page = await get(dashboard.url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<section id="live">');
    expect(page.text).toContain('<table id="claims"');
    expect(page.text).toContain('a note &lt;b&gt;');
    expect(page.text).toContain('id="incomplete"');
    expect(page.text).toContain(`let version = "${first.version}"`);
    expect(page.text.match(/<script>/g)).toHaveLength(1);
    // Only the plan's two stored runs are in the report's runs table.
    expect(page.text.match(/<tr><td><code>/g)).toHaveLength(2);

    const report = await get(`${dashboard.url}report.html`);
    expect(report.headers.get('x-iwlab-version')).toBe(first.version);
    expect(report.text).toMatch(/^<!doctype html>/);
    expect(report.text).not.toContain('<script');

    // New epochs change the version; the finished plan is no longer provisional.
    recordEpochs(writer, ids[1], 3, 10);
    writer.finishRun(ids[1], 'done', { seconds: 1 });
    writer.beginRun(ids[2], c);
    writer.finishRun(ids[2], 'failed', { error: 'out of memory at epoch 1' });
    // A new build is due ten times the last build's time after it (reportEverySeconds is 0).
    let second = JSON.parse((await get(`${dashboard.url}api/state`)).text);
    for (let tries = 0; second.version === first.version && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      second = JSON.parse((await get(`${dashboard.url}api/state`)).text);
    }
    expect(second.version).not.toBe(first.version);
    expect(second.liveHtml).toContain('2 of 3 runs finished');
    expect(second.liveHtml).toContain('No run in progress.');
    expect(second.liveHtml).toContain('out of memory at epoch 1');
    expect((await get(`${dashboard.url}report.html`)).headers.get('x-iwlab-version')).toBe(
      second.version,
    );

    expect((await get(`${dashboard.url}nope`)).status).toBe(404);
    expect((await get(dashboard.url, { method: 'POST' })).status).toBe(405);
    writer.close();
  });

  it('rebuilds the report at most every reportEverySeconds, and at once when the plan is done', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'iwlab-dash-')), 'runs.sqlite');
    const writer = new RunStore(db);
    const [a, b] = [spec(0.5), spec(2)];
    storePlan(writer, { notes: [], runIds: [runId(a), runId(b)] });
    writer.beginRun(runId(a), a);
    recordEpochs(writer, runId(a), 0, 2);
    const dashboard = await startDashboard({ db, port: 0, reportEverySeconds: 3600 });
    open.push(dashboard);
    const state = async () => JSON.parse((await get(`${dashboard.url}api/state`)).text);
    const built = (await state()).version;
    await get(dashboard.url);
    // New epochs and a new run: the panel moves, the report (and its version) waits.
    recordEpochs(writer, runId(a), 2, 10);
    writer.finishRun(runId(a), 'done', { seconds: 1 });
    writer.beginRun(runId(b), b);
    const waiting = await state();
    expect(waiting.liveHtml).toContain('1 of 2 runs finished');
    expect(waiting.version).toBe(built);
    expect((await get(`${dashboard.url}report.html`)).text).toContain('0 of 2 planned runs');
    // The last run finishes: the final report is built without waiting.
    recordEpochs(writer, runId(b), 0, 10);
    writer.finishRun(runId(b), 'done', { seconds: 1 });
    const done = await state();
    expect(done.version).not.toBe(built);
    const report = await get(`${dashboard.url}report.html`);
    expect(report.headers.get('x-iwlab-version')).toBe(done.version);
    expect(report.text).not.toContain('id="incomplete"');
    writer.close();
  });

  it('marks a run in progress as stopped when nothing changed for ten of its epochs', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'iwlab-dash-')), 'runs.sqlite');
    const writer = new RunStore(db);
    const a = spec(2);
    writer.beginRun(runId(a), a);
    recordEpochs(writer, runId(a), 0, 2); // 1.5 s per epoch: ten epochs are under two minutes
    writer.close();
    let now = Date.now();
    const dashboard = await startDashboard({ db, port: 0, allRuns: true, clock: () => now });
    open.push(dashboard);
    const panel = async () => JSON.parse((await get(`${dashboard.url}api/state`)).text).liveHtml;
    expect(await panel()).not.toContain('class="stalled"');
    now += 119_000;
    expect(await panel()).not.toContain('class="stalled"');
    now += 2_000;
    expect(await panel()).toContain('<td class="stalled">2 min: stopped?</td>');
    // The report under the panel is judged at the same clock: it says so too.
    expect((await get(`${dashboard.url}report.html`)).text).toContain('1 interrupted');
  });

  it('follows every run with allRuns, and names the port when it is taken', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'iwlab-dash-')), 'runs.sqlite');
    const writer = new RunStore(db);
    const a = spec(2);
    writer.beginRun(runId(a), a);
    writer.close();
    const dashboard = await startDashboard({ db, port: 0, allRuns: true });
    open.push(dashboard);
    const state = JSON.parse((await get(`${dashboard.url}api/state`)).text);
    expect(state.progress).toEqual({ planned: 1, finished: 0, unfinished: { 'in progress': 1 } });
    const port = Number(new URL(dashboard.url).port);
    await expect(startDashboard({ db, port })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is in use; pass --port with another`,
    );
  });
});

describe('duration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect([30, 89, 90, 5399, 5400, 12_600].map(duration)).toEqual([
      '30 s',
      '89 s',
      '2 min',
      '90 min',
      '1.5 h',
      '3.5 h',
    ]);
  });
});
