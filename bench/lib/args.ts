// Command-line options shared by the bench scripts (node:util's parseArgs: no dependency needed).
import { parseArgs } from 'node:util';

export interface BenchArgs {
  backend: string;
  steps: number;
  batch: number;
}

export function parseBenchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      backend: { type: 'string', default: 'auto' },
      steps: { type: 'string', default: '20' },
      batch: { type: 'string', default: '64' },
    },
    allowPositionals: false,
  });
  return { backend: values.backend, steps: Number(values.steps), batch: Number(values.batch) };
}
