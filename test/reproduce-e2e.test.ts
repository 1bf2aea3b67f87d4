// `iwlab reproduce` end to end: the real CLI, in child processes as a user runs it, on the 'tiny'
// preset (2-D only, 6 epochs, 2 weights, 2 models) into a temp dir. Checks the stored runs, the
// report (plots and claims table, nothing loaded from the network) and that a second invocation
// skips every finished run; that an interrupted invocation reports provisional verdicts, then
// resumes; and that --dashboard serves the plan's progress, the final state included.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunStore } from '@iwlab/experiments';
import { describe, expect, it } from 'vitest';
import { CLI, cliBuilt } from './helpers.js';

const run = promisify(execFile);
const built = cliBuilt('reproduce-e2e');

describe('iwlab reproduce --preset tiny', () => {
  it.skipIf(!built)(
    'trains, stores every run, writes a self-contained report, and skips finished runs when run again',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'iwlab-e2e-'));
      const db = join(dir, 'runs.sqlite');
      const out = join(dir, 'report.html');
      const args = [CLI, 'reproduce', '--preset', 'tiny', '--jobs', '2', '--db', db, '--out', out];
      const first = await run(process.execPath, args, { cwd: dir });
      expect(first.stdout).toMatch(/\[4\/4\] done/);
      expect(first.stdout).not.toContain('provisional');
      // The tiny 2-D runs record margins, so the theory's prediction (c) is printed; (b) needs
      // weights of two sizes (the preset has 1:10 and 10:1 only) and is not.
      expect(first.stdout).toMatch(
        /(reproduced|inconclusive) +The normalized training margin converges/,
      );
      expect(first.stdout).not.toContain('The heavier the weight');
      expect(first.stdout).toContain('note: some cells have one seed');

      const store = new RunStore(db);
      try {
        const runs = store.listRuns();
        expect(runs).toHaveLength(4);
        expect(new Set(runs.map((r) => r.spec.model.kind))).toEqual(new Set(['logreg', 'mlp']));
        for (const r of runs) {
          expect(r).toMatchObject({ status: 'done', epochsCompleted: 6, attempts: 1 });
          expect(r.backend?.name).toBe('cpu');
          const rows = store.epochs(r.id);
          expect(rows.filter((e) => e.split === 'test')).toHaveLength(6);
          expect(rows.filter((e) => e.split === 'train')).toHaveLength(6);
          // The presets' 2-D runs record their training margins (the theory's prediction (c)).
          expect(rows.filter((e) => e.split === 'train-margins')).toHaveLength(6);
          expect(rows.every((e) => Object.values(e.metrics).every(Number.isFinite))).toBe(true);
          expect(store.artifacts(r.id, 'boundary').map((a) => a.epoch)).toEqual([0, 5]);
        }
      } finally {
        store.close();
      }

      const html = readFileSync(out, 'utf8');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('<table id="claims"');
      for (const claim of [
        'change the predictions early',
        'fades over the epochs',
        'L2',
        'Dropout',
        'Batch normalization',
      ]) {
        expect(html).toContain(claim);
      }
      expect(html).toContain('Fraction predicted positive per epoch');
      expect(html).toContain('Decision boundaries');
      expect(html).toContain('Training loss');
      expect(html).toContain('<table id="predictions"');
      expect(html).toContain('Normalized training margin per epoch');
      expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4);
      // Opens offline: no scripts, stylesheets or images fetched from anywhere.
      expect(html).not.toMatch(/<script|<link|<img|src="http/);

      const second = await run(process.execPath, args, { cwd: dir });
      expect(second.stdout).toContain('4 of 4 runs already finished, 0 to run');
    },
  );

  it.skipIf(!built)(
    'after an interrupt, says the verdicts are provisional; the next invocation finishes the plan',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'iwlab-e2e-'));
      const db = join(dir, 'runs.sqlite');
      const out = join(dir, 'report.html');
      const args = [CLI, 'reproduce', '--preset', 'tiny', '--jobs', '1', '--db', db, '--out', out];
      // SIGINT as soon as the plan is printed: the trial process is still starting, so at most
      // the first run can finish (runs take ~0.1 s here, so a later signal could miss them all).
      const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let signalled = false;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        if (!signalled && stdout.includes('to run')) {
          signalled = true;
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number | null>((done) => child.on('close', done));
      expect(stdout).toContain('interrupted');
      expect(stdout).toContain('sweep stopped after');
      const finished = Number(/provisional: (\d) of 4 planned runs finished/.exec(stdout)?.[1]);
      expect(finished).toBeLessThan(4);
      expect(stdout).toMatch(/(reproduced|inconclusive) \(provisional\)/);
      expect(code).toBe(1);
      const partial = readFileSync(out, 'utf8');
      expect(partial).toContain('id="incomplete"');
      expect(partial).toContain(`${finished} of 4 planned runs have finished`);

      const second = await run(process.execPath, args, { cwd: dir });
      expect(second.stdout).toContain(
        `${finished} of 4 runs already finished, ${4 - finished} to run`,
      );
      expect(second.stdout).not.toContain('provisional');
      expect(readFileSync(out, 'utf8')).not.toContain('id="incomplete"');
    },
  );

  it.skipIf(!built)(
    'with --dashboard, serves the plan while it runs and its final state after',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'iwlab-e2e-'));
      const args = [CLI, 'reproduce', '--preset', 'tiny', '--jobs', '1', '--dashboard', '0'];
      const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      type State = { progress: { planned: number; finished: number } };
      const state = async (url: string) => (await (await fetch(`${url}api/state`)).json()) as State;
      let stdout = '';
      let url: string | undefined;
      let running: Promise<State> | undefined;
      let final: Promise<State> | undefined;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        url ??= /dashboard: (http:\/\/\S+\/)/.exec(stdout)?.[1];
        if (url === undefined) return;
        // The plan is stored before the first run starts.
        if (running === undefined && stdout.includes('to run')) running = state(url);
        // The sweep has ended; Ctrl-C then ends the wait for open pages.
        if (final === undefined && stdout.includes('showing the final state')) {
          final = state(url).finally(() => child.kill('SIGINT'));
        }
      });
      const code = await new Promise<number | null>((done) => child.on('close', done));
      expect(code).toBe(0);
      expect((await running)?.progress.planned).toBe(4);
      expect((await running)?.progress.finished).toBeLessThan(4);
      expect((await final)?.progress).toEqual({ planned: 4, finished: 4, unfinished: {} });
      expect(stdout).toContain('sweep finished after');
    },
  );
});

describe('iwlab sweep', () => {
  it.skipIf(!built)(
    "runs a grid from a file, reports it under the file's title, and keeps other losses out of the claims",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'iwlab-e2e-'));
      const file = join(dir, 'losses.json');
      writeFileSync(
        file,
        JSON.stringify({
          title: 'Two losses on moons',
          notes: ['A smoke test of iwlab sweep.'],
          base: {
            data: { kind: 'synthetic', generator: 'moons', trainSize: 32, testSize: 32 },
            model: { kind: 'logreg' },
            reduction: 'mean',
            optimizer: { kind: 'sgd', lr: 0.1 },
            epochs: 4,
            batchSize: 8,
            seed: 0,
            backend: 'cpu',
          },
          axes: [
            { path: 'loss', values: [{ name: 'ce' }, { name: 'poly', params: { alpha: 2 } }] },
            {
              path: 'weights',
              values: [
                { kind: 'ratio', ratio: 0.25 },
                { kind: 'ratio', ratio: 4 },
              ],
            },
            { path: 'seed', values: [0, 1] },
          ],
        }),
      );
      const out = join(dir, 'report.html');
      const { stdout } = await run(
        process.execPath,
        [CLI, 'sweep', file, '--jobs', '1', '--db', join(dir, 'runs.sqlite'), '--out', out],
        { cwd: dir },
      );
      expect(stdout).toContain('8 runs (Two losses on moons)');
      // No margins recorded, one size of weight: neither prediction can be tested, so neither prints.
      expect(stdout).not.toMatch(/normalized training margin|heavier the weight/);
      expect(stdout).toMatch(/\[8\/8\] done .*loss poly\(alpha=2, type=logit\)/);
      // Two seeds in every cell: the verdicts were checked on each, no one-seed note.
      expect(stdout).not.toContain('one seed');
      const html = readFileSync(out, 'utf8');
      expect(html).toContain('<title>Two losses on moons</title>');
      expect(html).toContain('A smoke test of iwlab sweep.');
      expect(html).toContain('moons · logreg · none · loss poly(alpha=2, type=logit)');
      expect(html).toContain('1 cell(s) trained with another loss (poly) are not evidence');
    },
  );
});
