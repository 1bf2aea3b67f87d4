// Loads the 10,000 CIFAR-10 training cats and dogs (lossless repack) and prints the time and the
// memory they take. Run after building: node --expose-gc scripts/measure-catdog.mjs [dataDir]
import path from 'node:path';
import { readCifarRecords, resolveDataDir } from '../dist/index.js';

const dataDir = resolveDataDir(
  process.argv[2] ?? path.resolve(import.meta.dirname, '../../../../shared/data'),
);
const file = path.join(dataDir, 'cifar10-catdog', 'train_catdog.bin');
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const gc = globalThis.gc ?? (() => {});

gc();
const before = process.memoryUsage();
const t0 = performance.now();
const records = readCifarRecords([file], { classes: [3, 5] });
const ms = performance.now() - t0;
gc();
const after = process.memoryUsage();
const pixelBytes = records.images.byteLength + records.labels.byteLength;
console.log(`file            ${file}`);
console.log(`images          ${records.count} (${mb(pixelBytes)} of uint8 pixels + labels)`);
console.log(`load time       ${ms.toFixed(0)} ms`);
console.log(
  `arrayBuffers +  ${mb(after.arrayBuffers - before.arrayBuffers)} (typed-array memory held)`,
);
console.log(`rss +           ${mb(after.rss - before.rss)}`);
console.log(`float32 would be ${mb(records.images.length * 4)}`);
