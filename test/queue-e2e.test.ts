// Sweeps across machines end to end: a Redis server, two `iwlab worker` processes (two "hosts":
// each its own work dir), and `iwlab sweep --queue`, all real processes. One worker is killed
// (SIGKILL, no goodbye) in the middle of a run; its run must go to the other worker once its lock
// lapses, and the sweep's store must end with every run done and the same numbers, row for row,
// as a local sweep of the same plan.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expandGrid, RunStore, runSweep } from '@iwlab/experiments';
import { type RedisServer, redisServerForTests, startRedisServer } from '@iwlab/queue/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliBuilt, epochNumbers as numbers, until } from './helpers.js';

const run = promisify(execFile);
const built = cliBuilt('queue-e2e');
const redisBinary = redisServerForTests('queue-e2e');

const base = {
  data: { kind: 'synthetic', generator: 'separable-gaussians', trainSize: 256, testSize: 64 },
  model: { kind: 'mlp', hidden: [16] },
  reduction: 'mean',
  optimizer: { kind: 'sgd', lr: 0.05 },
  epochs: 80,
  batchSize: 8,
  seed: 0,
  backend: 'cpu',
  evaluation: { boundaryEpochs: [1, 80] },
};
const axes = [{ path: 'weights', values: [1, 4, 16].map((ratio) => ({ kind: 'ratio', ratio })) }];

/** The CLI in a child process, with its output (stdout and stderr) so far. */
function spawnCli(args: readonly string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: () => text };
}

const startWorker = (url: string, name: string) =>
  spawnCli([
    'worker',
    '--queue',
    url,
    '--queue-name',
    'e2e',
    '--jobs',
    '1',
    '--name',
    name,
    '--lock-seconds',
    '2',
    '--work-dir',
    mkdtempSync(join(tmpdir(), `iwlab-${name}-`)),
  ]);

describe.skipIf(!built || redisBinary === undefined)(
  'iwlab sweep --queue with iwlab workers',
  () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer(redisBinary);
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('survives a worker killed mid-run: its run goes to the other worker, and every number equals a local sweep', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'iwlab-queue-e2e-'));
      const file = join(dir, 'sweep.json');
      writeFileSync(file, JSON.stringify({ title: 'queue e2e', base, axes }));
      const workers = [startWorker(redis.url, 'wA'), startWorker(redis.url, 'wB')];
      try {
        for (const w of workers)
          await until('a worker', () => w.output().includes('waiting for runs'));
        const db = join(dir, 'runs.sqlite');
        const sweep = spawnCli([
          'sweep',
          file,
          '--queue',
          redis.url,
          '--queue-name',
          'e2e',
          '--db',
          db,
          '--out',
          join(dir, 'report.html'),
        ]);
        const exited = new Promise<number | null>((r) => sweep.child.once('exit', r));
        // Kill wA once its run has stored an epoch in the sweep's store and is not finished:
        // a run in progress, whatever the machine's speed.
        let watch: RunStore | undefined;
        await until('a run on wA with an epoch stored', () => {
          if (watch === undefined && existsSync(db)) watch = new RunStore(db);
          return (
            watch
              ?.listRuns({ status: 'running' })
              .some((r) => r.info?.worker === 'wA' && r.epochsCompleted > 0) ?? false
          );
        });
        watch?.close();
        const [victim] = workers;
        victim?.child.kill('SIGKILL');
        expect(await exited).toBe(0);
        expect(sweep.output()).toMatch(/\[3\/3\] done/);
        expect(sweep.output()).toContain('sweep finished');
        expect(workers[1]?.output()).toMatch(/done /);

        const store = new RunStore(db);
        const runs = store.listRuns();
        expect(runs.map((r) => r.status)).toEqual(['done', 'done', 'done']);
        // The killed worker's run was taken again by wB.
        expect(Math.max(...runs.map((r) => r.attempts))).toBeGreaterThanOrEqual(2);

        const localDb = join(dir, 'local.sqlite');
        const points = expandGrid(base, axes);
        await runSweep(points, { db: localDb, checkpointDir: join(dir, 'local-ckpt'), jobs: 0 });
        const local = new RunStore(localDb);
        for (const p of points) {
          expect(numbers(store, p.id)).toHaveLength(80 * 2);
          expect(numbers(store, p.id)).toEqual(numbers(local, p.id));
          expect(store.artifacts(p.id)).toEqual(local.artifacts(p.id));
        }
        store.close();
        local.close();
        const report = readFileSync(join(dir, 'report.html'), 'utf8');
        expect(report).toContain('queue e2e');
        // The runs table names the worker that trained each run; wB finished the killed one.
        expect(report).toContain('cpu on wB');
      } finally {
        for (const w of workers) w.child.kill('SIGINT');
        await Promise.all(
          workers.map((w) =>
            w.child.exitCode === null && w.child.signalCode === null
              ? new Promise((r) => w.child.once('exit', r))
              : undefined,
          ),
        );
      }
    });

    it('refuses an unreachable queue at once, naming it', async () => {
      const error = await run(process.execPath, [CLI, 'worker', '--queue', 'redis://127.0.0.1:1'], {
        timeout: 20_000,
      }).catch((e: { stderr: string; code: number }) => e);
      expect((error as { code: number }).code).toBe(1);
      expect((error as { stderr: string }).stderr).toMatch(
        /cannot reach the queue at redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/,
      );
    });
  },
);
