#!/usr/bin/env node
// The `iwlab` command. Parsing is commander's; each command's work lives in its own module.
import { createRequire } from 'node:module';
import { DEFAULT_QUEUE_NAME } from '@iwlab/queue';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  dashboardCommand,
  doctor,
  importCommand,
  reportCommand,
  reproduce,
  sweepCommand,
  workerCommand,
} from './commands.js';
import { DEFAULT_DASHBOARD_PORT } from './dashboard.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

function count(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    }
    return n;
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 3600)) throw new InvalidArgumentError('expected seconds in [0, 3600]');
  return n;
}

const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

const program = new Command()
  .name('iwlab')
  .description('Importance weighting in deep learning: train, watch, compare, report.')
  .version(version);

/** The options `reproduce` and `sweep` share: where runs go and how they run. */
function withPlanRunOptions(command: Command): Command {
  return command
    .option('--jobs <n>', 'parallel trial processes (0: run in this process)', count(0))
    .option('--db <path>', 'run store (SQLite)', 'iwlab-runs/runs.sqlite')
    .option('--out <path>', 'report file (HTML)', 'iwlab-runs/report.html')
    .addOption(
      new Option(
        '--backend <name>',
        "tfjs backend for every run (default: each spec's own)",
      ).choices(BACKENDS),
    )
    .option(
      '--data-dir <path>',
      'where the real data sets are (default: IWLAB_DATA_DIR, else ../shared/data)',
    )
    .option(
      '--dashboard [port]',
      `serve the live dashboard while the sweep runs (default port ${DEFAULT_DASHBOARD_PORT}; 0: any free port)`,
      count(0),
    )
    .option(
      '--queue <url>',
      "train on `iwlab worker`s through this Redis queue (redis://host:port) instead of this machine's processes",
    )
    .option(
      '--queue-name <name>',
      'queue name, when several sweeps share one Redis',
      DEFAULT_QUEUE_NAME,
    );
}

const reproduceCommand = program
  .command('reproduce')
  .description(
    'Reproduce Byrd & Lipton (ICML 2019): train the embedded plan, store every run, write the report',
  )
  .addOption(
    new Option(
      '--preset <preset>',
      "problem size: 'small' (laptop CPU, shortened), 'full' (paper scale, GPU), 'tiny' (2-D smoke test)",
    )
      .choices(['tiny', 'small', 'full'])
      .default('small'),
  )
  .option('--seeds <n>', 'seeds per cell', count(1), 1);
withPlanRunOptions(reproduceCommand).action(reproduce);

const sweepFileCommand = program
  .command('sweep')
  .description(
    'Run a grid of your own from a JSON file (base spec + axes), store every run, write the report',
  )
  .argument('<file>', 'sweep file: { title?, notes?, base, axes } (see apps/report/README.md)');
withPlanRunOptions(sweepFileCommand).action(sweepCommand);

program
  .command('report')
  .description('Write the HTML report from a run store')
  .option('--db <path>', 'run store (SQLite)', 'iwlab-runs/runs.sqlite')
  .option('--out <path>', 'report file (HTML)', 'iwlab-runs/report.html')
  .option('--all', "report every run in the store, not only the last 'reproduce' plan's")
  .action(reportCommand);

program
  .command('import')
  .description(
    "Merge another run store's runs into this one (finished runs here are kept; clashing numbers are refused)",
  )
  .argument('<from>', 'the other run store (SQLite)')
  .option('--db <path>', 'run store to merge into (SQLite)', 'iwlab-runs/runs.sqlite')
  .action((from: string, options: { db: string }) => {
    importCommand(from, options);
  });

program
  .command('dashboard')
  .description('Serve a live page that follows a run store: progress, runs in progress, the report')
  .option('--db <path>', 'run store (SQLite)', 'iwlab-runs/runs.sqlite')
  .option('--port <n>', 'port (0: any free port)', count(0), DEFAULT_DASHBOARD_PORT)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--all', "follow every run in the store, not only the last 'reproduce' plan's")
  .option('--refresh <seconds>', 'how often the page checks for news', seconds, 2)
  .option(
    '--report-every <seconds>',
    'shortest time between two rebuilds of the report under the panel',
    seconds,
    15,
  )
  .action(async (options: Parameters<typeof dashboardCommand>[0]) => {
    await dashboardCommand(options);
  });

program
  .command('worker')
  .description(
    'Train the runs of sweeps started with --queue: take runs off the queue, store them here, send the results back',
  )
  .requiredOption('--queue <url>', 'the Redis queue (redis://host:port) the sweeps use')
  .option('--queue-name <name>', 'queue name, as the sweep gave it', DEFAULT_QUEUE_NAME)
  .option('--jobs <n>', 'runs at once, each in a process (default: one per core)', count(1))
  .option(
    '--work-dir <path>',
    "this worker's own run store and checkpoints (default: ~/.cache/iwlab/worker/<queue name>)",
  )
  .addOption(
    new Option(
      '--backend <name>',
      "tfjs backend for runs whose sweep pinned none (default: each spec's own)",
    ).choices(BACKENDS),
  )
  .option(
    '--data-dir <path>',
    'where the real data sets are on this machine (default: IWLAB_DATA_DIR, else ../shared/data)',
  )
  .option('--name <name>', 'name shown by the sweep and stored with each run (default: host:pid)')
  .option(
    '--lock-seconds <s>',
    "time without word from a worker before its run goes to another (a dead worker's runs wait this long)",
    (value: string) => {
      const n = seconds(value);
      if (n < 1) throw new InvalidArgumentError('expected at least 1 second');
      return n;
    },
    60,
  )
  .action(workerCommand);

program
  .command('doctor')
  .description('Show which TensorFlow.js backend iwlab would use here, and why')
  .addOption(new Option('--backend <name>', 'backend to try').choices(BACKENDS))
  .action(doctor);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`iwlab: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
