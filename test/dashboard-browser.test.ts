// `iwlab dashboard` in a browser: the real CLI serves a store, happy-dom loads the page and runs
// its script, and the test fills the store as a sweep would. The page must follow without a
// reload (the panel every refresh, the report when runs change) and say when the server is gone.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, resolveSpec, runId } from '@iwlab/experiments';
import { Browser } from 'happy-dom';
import { describe, expect, it } from 'vitest';
import { CLI, cliBuilt, until } from './helpers.js';

const built = cliBuilt('dashboard-browser');

describe('iwlab dashboard', () => {
  it.skipIf(!built)('updates the open page as runs progress, finish and fail', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'iwlab-dash-')), 'runs.sqlite');
    const writer = new RunStore(db);
    const spec = (ratio: number) =>
      resolveSpec({
        data: { kind: 'synthetic', generator: 'moons' },
        weights: { kind: 'ratio', ratio },
        model: { kind: 'logreg' },
        reduction: 'mean',
        optimizer: { kind: 'sgd', lr: 0.1 },
        epochs: 4,
        batchSize: 8,
        seed: 1,
      });
    const [a, b] = [spec(0.5), spec(2)];
    const [idA, idB] = [runId(a), runId(b)];
    const epoch = (id: string, e: number) => {
      writer.recordEpoch(id, e, 'train', { loss: 0.5, accuracy: 0.8 });
      writer.recordEpoch(id, e, 'test', { 'fractionPredicted.positive': 0.4, accuracy: 0.7 });
    };
    writer.beginRun(idA, a);
    epoch(idA, 0);

    const server = spawn(
      process.execPath,
      [
        CLI,
        'dashboard',
        '--db',
        db,
        '--all',
        '--port',
        '0',
        '--refresh',
        '0.2',
        '--report-every',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    // Our own page: evaluating its script is the point. happy-dom warns that its JavaScript is
    // not sandboxed, which matters for pages from elsewhere, not this one.
    const browser = new Browser({
      settings: {
        enableJavaScriptEvaluation: true,
        suppressInsecureJavaScriptEnvironmentWarning: true,
      },
    });
    try {
      await until('the dashboard URL', () => /http:\/\/\S+\//.test(stdout));
      const url = /http:\/\/\S+\//.exec(stdout)?.[0] as string;
      const page = browser.newPage();
      await page.goto(url);
      const doc = page.mainFrame.document;
      const text = (id: string) => doc.getElementById(id)?.textContent ?? '';
      expect(text('live-panel')).toContain('0 of 1 runs finished');
      expect(text('live-panel')).toContain('1/4');
      expect(doc.querySelectorAll('#report table.runs tbody tr')).toHaveLength(1);

      // Epochs: the panel follows.
      epoch(idA, 1);
      await until('epoch 2 on the panel', () => text('live-panel').includes('2/4'));

      // A run finishes and another starts: the report below is rebuilt in place.
      epoch(idA, 2);
      epoch(idA, 3);
      writer.finishRun(idA, 'done', { seconds: 1 });
      writer.beginRun(idB, b);
      // A rebuild waits ten times the last build's time (seconds on a loaded machine).
      await until(
        'the new run in the report',
        () => doc.querySelectorAll('#report table.runs tbody tr').length === 2,
        40_000,
      );
      await until('1 of 2 finished', () => text('live-panel').includes('1 of 2 runs finished'));
      expect(text('report')).toContain('Incomplete');

      writer.finishRun(idB, 'failed', { error: 'non-finite loss at epoch 1' });
      await until('the failure', () => text('live-panel').includes('non-finite loss at epoch 1'));

      // The server stops: the page says so instead of showing stale numbers as current.
      server.kill('SIGINT');
      await new Promise((done) => server.once('close', done));
      await until('the offline notice', () => text('live-status').includes('not answering'));
    } finally {
      server.kill('SIGKILL');
      await browser.close();
      writer.close();
    }
  });
});
