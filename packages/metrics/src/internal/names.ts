// Result keys name classes and groups by a caller's names when given ("fractionPredicted.dog"),
// by their ids otherwise ("fractionPredicted.1").
import { SpecError } from '@iwlab/core';

export function checkCount(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new SpecError(`must be a positive integer, got ${value}`, { field });
  }
}

/** Validates optional names (one per id, unique, non-empty) and returns the label of each id. */
export function labelsFor(count: number, names: readonly string[] | undefined, field: string) {
  if (names === undefined) return Array.from({ length: count }, (_, i) => String(i));
  if (names.length !== count) {
    throw new SpecError(`has ${names.length} names but there are ${count} ids`, { field });
  }
  const seen = new Set<string>();
  names.forEach((name, i) => {
    // A dot would make keys such as confusion.<true>.<predicted> ambiguous.
    if (name === '' || name.includes('.') || seen.has(name)) {
      throw new SpecError(`name "${name}" is empty, contains a dot or is repeated`, {
        field: `${field}[${i}]`,
      });
    }
    seen.add(name);
  });
  return [...names];
}
