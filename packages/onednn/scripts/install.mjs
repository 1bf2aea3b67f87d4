// npm runs this on install. It builds the native add-on when oneDNN's headers are present and
// otherwise says how to get them and succeeds: the add-on is an accelerator, and @iwlab/backend
// falls back to its wasm kernels without it. IWLAB_ONEDNN_REQUIRED=1 (CI) makes a failed build
// fail the install instead of passing unnoticed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const required = process.env.IWLAB_ONEDNN_REQUIRED === '1';
const say = (message) => console.log(`@iwlab/onednn: ${message}`);

function giveUp(message) {
  if (required) {
    console.error(`@iwlab/onednn: ${message} (IWLAB_ONEDNN_REQUIRED=1, so the install fails)`);
    process.exit(1);
  }
  say(`${message}. The native kernels are off; @iwlab/backend uses its wasm kernels.`);
  process.exit(0);
}

if (process.env.IWLAB_ONEDNN_SKIP === '1') giveUp('IWLAB_ONEDNN_SKIP=1, not building');

// The compiler searches these too: CPATH is how a oneDNN outside /usr is pointed at.
const includeDirs = [
  ...(process.env.CPATH ?? '').split(delimiter).filter(Boolean),
  '/usr/include',
  '/usr/local/include',
];
const header = includeDirs.find((dir) => existsSync(join(dir, 'oneapi', 'dnnl', 'dnnl.hpp')));
if (header === undefined) {
  giveUp(
    'oneDNN headers not found (looked for oneapi/dnnl/dnnl.hpp in CPATH, /usr/include, ' +
      '/usr/local/include). On Debian or Ubuntu: apt-get install libdnnl-dev, then npm rebuild @iwlab/onednn',
  );
}

// npm hands lifecycle scripts the path of its bundled node-gyp.
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] =
  nodeGyp === undefined ? ['node-gyp', ['rebuild']] : [process.execPath, [nodeGyp, 'rebuild']];
say(`building the add-on against oneDNN in ${header}`);
const result = spawnSync(command, args, { stdio: 'inherit' });
if (result.error !== undefined) giveUp(`could not run node-gyp: ${result.error.message}`);
if (result.status !== 0) giveUp(`node-gyp failed with exit code ${result.status}`);
say('built');
