// Where loss definitions are looked up by name. Kept apart from the catalogue so that a loss which
// wraps another by name (Group DRO) can look it up without importing the catalogue it is part of.

import type { WeightedLoss } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import type { z } from 'zod';
import type { LossDefinition, LossSetup, ParamsSchema } from './define.js';

const registry = new Map<string, LossDefinition>();

const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

/**
 * Adds a loss defined outside this package (a researcher's own), so specs can name it.
 * Names are unique; built-in names cannot be replaced.
 */
export function registerLoss(definition: LossDefinition): void {
  if (!NAME_PATTERN.test(definition.name)) {
    throw new SpecError(
      `loss name "${definition.name}" must be lower-case letters, digits and dashes, starting with a letter`,
      { field: 'name' },
    );
  }
  if (registry.has(definition.name)) {
    throw new SpecError(`a loss named "${definition.name}" is already registered`, {
      field: 'name',
    });
  }
  registry.set(definition.name, definition);
}

/** The definition registered under `name`, or a SpecError listing the known names. */
export function getLossDefinition(name: string): LossDefinition {
  const definition = registry.get(name);
  if (definition === undefined) {
    const known = [...registry.keys()].join(', ');
    throw new SpecError(`unknown loss "${name}"; known losses: ${known}`, { field: 'loss' });
  }
  return definition;
}

/** One row per registered loss: name, description and the default parameters. */
export function listLosses(): {
  name: string;
  description: string;
  defaults: Record<string, unknown>;
}[] {
  return [...registry.values()].map((d) => ({
    name: d.name,
    description: d.description,
    defaults: d.params.parse({}) as Record<string, unknown>,
  }));
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Validates `params` against the definition's schema; errors name `<prefix>.<param>`. */
export function parseLossParams<S extends ParamsSchema>(
  definition: LossDefinition<S>,
  params: unknown,
  prefix = 'params',
): z.output<S> {
  const result = definition.params.safeParse(params ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) {
    throw new SpecError(`loss "${definition.name}": invalid parameters`, { field: prefix });
  }
  // An unknown key is reported at the object, with the key in `keys`: point at the key itself.
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const path = [...issue.path.map(String), ...keys.slice(0, 1)];
  const field = path.length > 0 ? `${prefix}.${path.join('.')}` : prefix;
  let got: unknown = params;
  for (const key of issue.path) {
    got =
      typeof got === 'object' && got !== null
        ? (got as Record<PropertyKey, unknown>)[key]
        : undefined;
  }
  const detail =
    issue.code === 'unrecognized_keys'
      ? `unknown parameter${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}; ` +
        `"${definition.name}" takes ${Object.keys(definition.params.shape).join(', ') || 'no parameters'}`
      : `${issue.message} (got ${describeValue(got)})`;
  throw new SpecError(`loss "${definition.name}": ${detail}`, { field });
}

/** Builds a loss from its definition: parameters validated and defaulted, setup checked. */
export function instantiateLoss<S extends ParamsSchema>(
  definition: LossDefinition<S>,
  params: z.input<S> | Record<string, unknown> | undefined,
  setup: LossSetup,
  prefix = 'params',
): WeightedLoss {
  if (!Number.isInteger(setup.numClasses) || setup.numClasses < 1) {
    throw new SpecError(`numClasses must be a positive integer, got ${setup.numClasses}`, {
      field: 'context.numClasses',
    });
  }
  return definition.create(parseLossParams(definition, params, prefix), setup);
}

/** `instantiateLoss` by registry name; `prefix` names where the parameters came from. */
export function instantiateByName(
  name: string,
  params: Record<string, unknown> | undefined,
  setup: LossSetup,
  prefix = 'params',
): WeightedLoss {
  return instantiateLoss(getLossDefinition(name), params, setup, prefix);
}
