#!/usr/bin/env node
// Scaffolds a new loss in @iwlab/losses: `npm run new-loss -- <name> [--description "..."]`.
// Creates src/losses/<name>.ts (from templates/loss.ts.tmpl), its test wired to the conformance
// kit, the registry entry in src/catalogue.ts, the export in src/index.ts and a changeset. After
// that, only the formula needs writing.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(packageDir, '..', '..');

function fail(message) {
  console.error(`new-loss: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { name: undefined, description: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--description' || arg === '-d') args.description = argv[++i];
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else if (args.name === undefined) args.name = arg;
    else fail(`unexpected argument "${arg}"; the name comes once`);
  }
  return args;
}

const usage =
  'usage: npm run new-loss -- <name> [--description "one line: what it is, whose it is"]';
const args = parseArgs(process.argv.slice(2));
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const name = args.name;
if (name === undefined) fail(`no name given\n${usage}`);
if (!/^[a-z][a-z0-9-]*$/.test(name)) {
  fail(`name "${name}" must be lower-case letters, digits and dashes, starting with a letter`);
}
const description = (args.description ?? `The ${name} loss.`).trim();
if (description.length === 0 || description.includes('\n') || description.includes("'")) {
  fail('the description must be one line without single quotes');
}

const ident = `${name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase())}Loss`;
const paths = {
  source: join(packageDir, 'src', 'losses', `${name}.ts`),
  test: join(packageDir, 'src', 'losses', `${name}.test.ts`),
  catalogue: join(packageDir, 'src', 'catalogue.ts'),
  index: join(packageDir, 'src', 'index.ts'),
  changeset: join(repoRoot, '.changeset', `losses-${name}.md`),
};

for (const file of [paths.source, paths.test, paths.changeset]) {
  if (existsSync(file)) fail(`${relative(repoRoot, file)} already exists`);
}
// A name is taken when any built-in definition already uses it.
let existing = '';
try {
  existing = execFileSync('grep', ['-rl', `name: '${name}'`, join(packageDir, 'src')], {
    encoding: 'utf8',
  });
} catch {
  // grep exits 1 when nothing matches: the name is free.
}
if (existing.trim() !== '') fail(`a loss named "${name}" already exists in ${existing.trim()}`);

const catalogue = readFileSync(paths.catalogue, 'utf8');
for (const marker of ['// new-loss:imports', '// new-loss:entries']) {
  if (!catalogue.includes(marker)) fail(`src/catalogue.ts lost its "${marker}" marker`);
}

const fill = (template) =>
  readFileSync(join(packageDir, 'templates', template), 'utf8')
    .replaceAll('__NAME__', name)
    .replaceAll('__IDENT__', ident)
    .replaceAll('__DESCRIPTION__', description);

writeFileSync(paths.source, fill('loss.ts.tmpl'));
writeFileSync(paths.test, fill('loss.test.ts.tmpl'));
writeFileSync(
  paths.catalogue,
  catalogue
    .replace(
      '// new-loss:imports',
      `import { ${ident} } from './losses/${name}.js';\n// new-loss:imports`,
    )
    .replace('  // new-loss:entries', `  ${ident},\n  // new-loss:entries`),
);
writeFileSync(
  paths.index,
  `${readFileSync(paths.index, 'utf8')}export { ${ident} } from './losses/${name}.js';\n`,
);
writeFileSync(
  paths.changeset,
  `---\n"@iwlab/losses": minor\n---\n\nAdd the \`${name}\` loss (\`${ident}\`): ${description}\n`,
);

const touched = [paths.source, paths.test, paths.catalogue, paths.index, paths.changeset];
try {
  // Sorts the new import and export the way the linter wants them.
  execFileSync('npx', ['biome', 'check', '--write', ...touched.filter((p) => p.endsWith('.ts'))], {
    cwd: repoRoot,
    stdio: 'ignore',
  });
} catch {
  console.warn('new-loss: biome could not tidy the files; run `npx biome check --write` yourself');
}

console.log(`Created the "${name}" loss:
${touched.map((p) => `  ${relative(repoRoot, p)}`).join('\n')}
Next:
  1. write the formula in ${relative(repoRoot, paths.source)} (and parameters, properties);
  2. add known values to the vectors in ${relative(repoRoot, paths.test)};
  3. cd packages/losses && npx vitest run src/losses/${name}.test.ts`);
