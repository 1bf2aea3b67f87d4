#!/usr/bin/env node
// The `iwlab` command. Parsing is commander's; each command's work lives in its own module.
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatPlan, reproducePlan } from './plan.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const program = new Command()
  .name('iwlab')
  .description('Importance weighting in deep learning: train, watch, compare, report.')
  .version(version);

program
  .command('reproduce')
  .description('Reproduce Byrd & Lipton (ICML 2019) on the embedded default plan')
  .addOption(
    new Option('--preset <preset>', 'problem size').choices(['small', 'full']).default('small'),
  )
  .option('--seeds <n>', 'seeds per cell', positiveInt, 3)
  .action((opts: { preset: 'small' | 'full'; seeds: number }) => {
    const plan = reproducePlan(opts);
    process.stdout.write(`iwlab reproduce (${opts.preset}): the plan\n${formatPlan(plan)}\n`);
    process.stdout.write(
      '\nThe training and report stages are not implemented yet in this version: this command only prints the plan.\n',
    );
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`iwlab: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
