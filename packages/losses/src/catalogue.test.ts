// Every registered built-in loss, through the conformance kit on the wasm backend: the CPU
// backend iwlab trains on. (Each loss's own test runs the kit on cpu, with its test vectors.)
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_LOSSES } from './catalogue.js';
import type { ConformanceOptions } from './testing/index.js';
import { assertLossConforms } from './testing/index.js';

// Kit options a loss needs everywhere (also used in its own test), by name.
const OPTIONS: Record<string, ConformanceOptions> = {
  // s = 30 multiplies every logit: smaller logits and steps keep differences in float32 range.
  ldam: { logitScale: 0.1, finiteDifferenceStep: 1e-3 },
};

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('the built-in catalogue on wasm', () => {
  it.each(BUILTIN_LOSSES.map((d) => [d.name, d] as const))(
    '%s conforms',
    async (_name, definition) => {
      await assertLossConforms(definition, OPTIONS[definition.name] ?? {});
    },
  );
});
