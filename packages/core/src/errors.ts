// Every error iwlab raises on bad input says *where* (file, byte offset, field, epoch) and *what
// was expected*, so a researcher can fix the input without reading our code.

export interface ErrorLocation {
  /** File the problem is in. */
  readonly file?: string;
  /** Byte offset inside `file`. */
  readonly offset?: number;
  /** Dotted path of the offending field, e.g. "model.dropout" or "weights[3]". */
  readonly field?: string;
  readonly epoch?: number;
  readonly step?: number;
}

function describe(where: ErrorLocation): string {
  const parts: string[] = [];
  if (where.file !== undefined) parts.push(where.file);
  if (where.offset !== undefined) parts.push(`byte ${where.offset}`);
  if (where.field !== undefined) parts.push(`field ${where.field}`);
  if (where.epoch !== undefined) parts.push(`epoch ${where.epoch}`);
  if (where.step !== undefined) parts.push(`step ${where.step}`);
  return parts.join(', ');
}

/** Base class: `code` is stable for programs, `message` is for people. */
export class IwlabError extends Error {
  readonly code: string;
  readonly where: ErrorLocation;
  constructor(code: string, message: string, where: ErrorLocation = {}, options?: ErrorOptions) {
    const at = describe(where);
    super(at ? `${at}: ${message}` : message, options);
    this.name = new.target.name;
    this.code = code;
    this.where = where;
  }
}

/** A data file is missing, truncated, corrupt or has the wrong format. */
export class DataError extends IwlabError {
  constructor(message: string, where: ErrorLocation = {}, options?: ErrorOptions) {
    super('IWLAB_DATA', message, where, options);
  }
}

/** A data set is not on this machine; the message says how to get it. */
export class DatasetMissingError extends IwlabError {
  constructor(message: string, where: ErrorLocation = {}, options?: ErrorOptions) {
    super('IWLAB_DATASET_MISSING', message, where, options);
  }
}

/** A spec, parameter or option is invalid. `where.field` names it. */
export class SpecError extends IwlabError {
  constructor(message: string, where: ErrorLocation = {}, options?: ErrorOptions) {
    super('IWLAB_SPEC', message, where, options);
  }
}

/** Importance weights that are negative, non-finite or all zero. */
export class WeightsError extends IwlabError {
  constructor(message: string, where: ErrorLocation = {}, options?: ErrorOptions) {
    super('IWLAB_WEIGHTS', message, where, options);
  }
}

/** A backend asked for by name cannot be used here; the message says why and how to get it. */
export class BackendUnavailableError extends IwlabError {
  constructor(message: string, where: ErrorLocation = {}, options?: ErrorOptions) {
    super('IWLAB_BACKEND_UNAVAILABLE', message, where, options);
  }
}

/** Training produced a non-finite loss. */
export class DivergedError extends IwlabError {
  constructor(message: string, where: ErrorLocation, options?: ErrorOptions) {
    super('IWLAB_DIVERGED', message, where, options);
  }
}
