// Writes the boilerplate of one library workspace (package.json, tsconfigs, vitest config).
// Used once to lay out packages/*; kept so a new package starts from the same conventions.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name, description, depsArg = ''] = process.argv.slice(2);
if (!dir || !name || !description) {
  console.error(
    'usage: node scripts/scaffold-package.mjs <dir> <@iwlab/name> <description> [dep,dep]',
  );
  process.exit(1);
}
const deps = Object.fromEntries(
  depsArg
    .split(',')
    .filter(Boolean)
    .map((d) => [d, d.startsWith('@iwlab/') ? '^0.1.0' : '*']),
);
mkdirSync(join(dir, 'src'), { recursive: true });
const pkg = {
  name,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20.11' },
  repository: { type: 'git', url: 'git+https://example.invalid/iwlab.git', directory: dir },
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
    './internal/*': null,
  },
  files: ['dist', '!dist/**/*.test.*', 'README.md', 'CHANGELOG.md'],
  scripts: {
    build: 'tsc -p tsconfig.build.json',
    typecheck: 'tsc -p tsconfig.json --noEmit',
    test: 'vitest run',
  },
  dependencies: deps,
  peerDependencies: { '@tensorflow/tfjs-core': '^4.22.0' },
  devDependencies: { '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-backend-cpu': '4.22.0' },
  publishConfig: { access: 'public' },
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src', 'test', '*.ts'] }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'tsconfig.build.json'),
  `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { rootDir: 'src', outDir: 'dist', noEmit: false }, include: ['src'], exclude: ['src/**/*.test.ts', 'src/**/__tests__/**'] }, null, 2)}\n`,
);
writeFileSync(join(dir, 'vitest.config.ts'), "export { default } from '../../vitest.shared.ts';\n");
if (!existsSync(join(dir, 'src/index.ts')))
  writeFileSync(join(dir, 'src/index.ts'), 'export {};\n');
