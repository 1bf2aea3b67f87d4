// What a stored run records about the code that produced it: package versions and the git commit.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const PACKAGES = [
  '@iwlab/core',
  '@iwlab/backend',
  '@iwlab/datasets',
  '@iwlab/losses',
  '@iwlab/models',
  '@iwlab/metrics',
  '@iwlab/train',
  '@iwlab/experiments',
  '@tensorflow/tfjs-core',
  // Optional: the backend's kernels, which change results in the last bits (the run's backend
  // info says whether they were used).
  '@iwlab/onednn',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
];

let versions: Record<string, string> | undefined;

/** Installed versions of the packages a run depends on (those that cannot be found are left out). */
export function packageVersions(): Record<string, string> {
  if (versions !== undefined) return versions;
  const require = createRequire(import.meta.url);
  const found: Record<string, string> = { node: process.version };
  for (const name of PACKAGES) {
    try {
      found[name] = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      // Not resolvable from here (e.g. an exports map without ./package.json): not recorded.
    }
  }
  versions = found;
  return found;
}

let commit: string | null | undefined;

/** HEAD of the git checkout the process runs in, with "+dirty" when files differ; null outside one. */
export function gitCommit(): string | null {
  if (commit !== undefined) return commit;
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = run(['rev-parse', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--untracked-files=no']) !== '';
    commit = dirty ? `${head}+dirty` : head;
  } catch {
    commit = null;
  }
  return commit;
}
