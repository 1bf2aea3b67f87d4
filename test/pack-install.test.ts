// "Each piece can be used and versioned alone": every library package is packed with `npm pack`,
// installed from its tarball (plus the tarballs of the @iwlab packages it *declares*, nothing
// more) into a fresh project outside the workspace, and imported from plain Node ESM. A package
// that imports an undeclared workspace package, forgets a file in `files`, or points its exports
// map at a missing file fails here.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(repoRoot, 'packages');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports: Record<string, unknown>;
}

const manifests: Manifest[] = readdirSync(packagesDir)
  .filter((d) => existsSync(join(packagesDir, d, 'package.json')))
  .map((d) => JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8')) as Manifest)
  .filter((m) => !m.private);
const byName = new Map(manifests.map((m) => [m.name, m]));
const dirOf = (name: string) => join(packagesDir, name.replace('@iwlab/', ''));

/** The package and every @iwlab package it depends on, transitively, by declared dependencies. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const dep of Object.keys(byName.get(name)?.dependencies ?? {})) {
    if (byName.has(dep)) closure(dep, seen);
  }
  return seen;
}

/** Public subpaths of an exports map ("." and "./testing", not "./package.json" or blocked ones). */
function publicSubpaths(m: Manifest): string[] {
  return Object.entries(m.exports)
    .filter(([key, target]) => target !== null && !key.includes('*') && key !== './package.json')
    .map(([key]) => key);
}

let workDir = '';
const tarballs = new Map<string, string>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'iwlab-pack-'));
  const packDir = join(workDir, 'tarballs');
  mkdirSync(packDir);
  for (const m of manifests) {
    const dist = join(dirOf(m.name), 'dist');
    if (!existsSync(dist))
      throw new Error(`${m.name} is not built (${dist} missing): run npm run build`);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
      cwd: dirOf(m.name),
    });
    const [info] = JSON.parse(stdout) as [{ filename: string }];
    tarballs.set(m.name, join(packDir, info.filename));
  }
}, 300_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.concurrent('every library package installs and imports alone', () => {
  it('finds the library packages', () => {
    expect(manifests.map((m) => m.name).sort()).toEqual(
      expect.arrayContaining(['@iwlab/core', '@iwlab/losses', '@iwlab/train']),
    );
  });

  it.each(manifests.map((m) => m.name))(
    '%s',
    async (name) => {
      const manifest = byName.get(name)!;
      const project = join(workDir, `consumer-${name.replace('@iwlab/', '')}`);
      rmSync(project, { recursive: true, force: true });
      mkdirSync(project, { recursive: true });
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
      );
      const files = [...closure(name)].map((n) => tarballs.get(n)!);
      // Peers are installed by npm itself (npm >= 7), as a user's `npm i @iwlab/x` would.
      await run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...files],
        { cwd: project, maxBuffer: 16 * 1024 * 1024 },
      );
      const installed = join(project, 'node_modules', name);
      // Every types/default target in the exports map exists in the installed package.
      for (const sub of publicSubpaths(manifest)) {
        const target = manifest.exports[sub] as Record<string, string>;
        for (const file of Object.values(target)) {
          expect(existsSync(join(installed, file)), `${name} ${sub} -> ${file}`).toBe(true);
        }
      }
      // No test files or sources shipped.
      const { stdout: listing } = await run('find', [installed, '-name', '*.test.*']);
      expect(listing.trim()).toBe('');
      const script = `
        const name = ${JSON.stringify(name)};
        const subpaths = ${JSON.stringify(publicSubpaths(manifest))};
        const out = {};
        for (const sub of subpaths) {
          const spec = sub === '.' ? name : name + sub.slice(1);
          out[sub] = Object.keys(await import(spec)).length;
        }
        let blocked = false;
        try { await import(name + '/internal/anything.js'); } catch (e) { blocked = e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'; }
        out.internalsBlocked = blocked;
        console.log(JSON.stringify(out));
      `;
      const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: project });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<
        string,
        unknown
      >;
      expect(result.internalsBlocked).toBe(true);
      // Each public entry point loaded (an empty shell package exports nothing yet, which is fine).
      for (const sub of publicSubpaths(manifest)) {
        expect(typeof result[sub], `${name} ${sub} imported`).toBe('number');
      }
      if (name === '@iwlab/onednn') {
        // The add-on compiles in the consumer's install; where oneDNN is required (CI) it must load.
        const probe = `import { loadOneDnn } from '@iwlab/onednn'; console.log(JSON.stringify(loadOneDnn()));`;
        const { stdout: loaded } = await run('node', ['--input-type=module', '-e', probe], {
          cwd: project,
        });
        const load = JSON.parse(loaded.trim().split('\n').at(-1) ?? '{}') as {
          available?: boolean;
          reason?: string;
        };
        if (process.env.IWLAB_ONEDNN_REQUIRED === '1') expect(load.reason).toBeUndefined();
        expect(typeof load.available).toBe('boolean');
      }
    },
    300_000,
  );
});
