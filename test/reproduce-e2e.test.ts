// `iwlab reproduce` end to end: the real CLI, in child processes as a user runs it, on the 'tiny'
// preset (2-D only, 6 epochs, 2 weights, 2 models) into a temp dir. Checks the stored runs, the
// report (plots and claims table, nothing loaded from the network) and that a second invocation
// skips every finished run.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RunStore } from '@iwlab/experiments';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../apps/report/dist/cli.js', import.meta.url));
const built = existsSync(CLI);
if (!built) console.warn(`reproduce-e2e: skipped, ${CLI} is not built (npx turbo run build)`);

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
      expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4);
      // Opens offline: no scripts, stylesheets or images fetched from anywhere.
      expect(html).not.toMatch(/<script|<link|<img|src="http/);

      const second = await run(process.execPath, args, { cwd: dir });
      expect(second.stdout).toContain('4 of 4 runs already finished, 0 to run');
    },
  );
});
