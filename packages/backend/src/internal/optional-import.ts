// Optional peers (tfjs-node, webgpu, tfjs-backend-webgpu) are not dependencies of this package and
// usually are not installed. A specifier held in a variable keeps TypeScript and bundlers from
// resolving them at build time; absence is an ordinary, reported outcome at run time.

export type ModuleImporter = (specifier: string) => Promise<unknown>;

export const importOptional: ModuleImporter = (specifier) => import(specifier);

/** True when the error means "that package is not installed" rather than "it broke on load". */
export function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  // Loaders other than Node's own (vite-node under vitest, bundlers) report a missing package
  // with a message and no code; without this an absent package reads "installed but failed".
  return /^(Cannot find (module|package)|Could not resolve|Failed to (load|resolve) (url|import))\b/i.test(
    messageOf(error),
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
