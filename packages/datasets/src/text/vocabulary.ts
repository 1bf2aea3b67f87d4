// Text → numbers: a tokenizer, a vocabulary built from the training split only (so test words
// never leak into the features), bag-of-words counts and padded id sequences.
import { SpecError } from '@iwlab/core';

/** Lower-cases and splits on anything that is not a letter or digit; keeps "n't", "'s". */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'\p{L}+)?|'\p{L}+/gu) ?? [];
}

export const PAD_TOKEN = '<pad>';
export const UNK_TOKEN = '<unk>';

export interface VocabularyOptions {
  /** Drop tokens seen fewer times than this in the training split (default 1). */
  readonly minCount?: number;
  /** Keep at most this many tokens, most frequent first, including <pad> and <unk>. */
  readonly maxSize?: number;
}

export class Vocabulary {
  /** Id 0 pads sequences; id 1 stands for any token not in the vocabulary. */
  static readonly PAD = 0;
  static readonly UNK = 1;
  readonly tokens: readonly string[];
  readonly #ids: Map<string, number>;

  private constructor(tokens: readonly string[]) {
    this.tokens = tokens;
    this.#ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /** Most frequent first; ties broken alphabetically, so the ids are the same on every run. */
  static build(
    trainDocs: Iterable<readonly string[]>,
    options: VocabularyOptions = {},
  ): Vocabulary {
    const minCount = options.minCount ?? 1;
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new SpecError(`minCount is ${minCount}; expected an integer >= 1`, {
        field: 'minCount',
      });
    }
    if (
      options.maxSize !== undefined &&
      !(Number.isInteger(options.maxSize) && options.maxSize >= 2)
    ) {
      throw new SpecError(`maxSize is ${options.maxSize}; expected an integer >= 2`, {
        field: 'maxSize',
      });
    }
    const counts = new Map<string, number>();
    for (const doc of trainDocs) for (const t of doc) counts.set(t, (counts.get(t) ?? 0) + 1);
    const ranked = [...counts]
      .filter(([t, n]) => n >= minCount && t !== PAD_TOKEN && t !== UNK_TOKEN)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    const keep = options.maxSize === undefined ? ranked : ranked.slice(0, options.maxSize - 2);
    return new Vocabulary([PAD_TOKEN, UNK_TOKEN, ...keep]);
  }

  static fromTokens(tokens: readonly string[]): Vocabulary {
    if (tokens[0] !== PAD_TOKEN || tokens[1] !== UNK_TOKEN) {
      throw new SpecError(`a vocabulary starts with ${PAD_TOKEN}, ${UNK_TOKEN}`, {
        field: 'tokens',
      });
    }
    return new Vocabulary(tokens);
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number {
    return this.#ids.get(token) ?? Vocabulary.UNK;
  }

  encode(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (t) => this.id(t));
  }
}

/** [N, V] token counts (or 0/1 with `binary`); unknown tokens count in the <unk> column. */
export function bagOfWords(
  docs: readonly (readonly string[])[],
  vocab: Vocabulary,
  options: { readonly binary?: boolean } = {},
): Float32Array {
  const v = vocab.size;
  const out = new Float32Array(docs.length * v);
  docs.forEach((doc, i) => {
    for (const t of doc) {
      const j = i * v + vocab.id(t);
      out[j] = options.binary === true ? 1 : (out[j] as number) + 1;
    }
  });
  return out;
}

/** [N, maxLength] ids, cut after maxLength tokens and padded with <pad> (0) at the end. */
export function padSequences(
  docs: readonly (readonly string[])[],
  vocab: Vocabulary,
  maxLength: number,
): Int32Array {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new SpecError(`maxLength is ${maxLength}; expected an integer >= 1`, {
      field: 'maxLength',
    });
  }
  const out = new Int32Array(docs.length * maxLength);
  docs.forEach((doc, i) => {
    const n = Math.min(doc.length, maxLength);
    for (let k = 0; k < n; k++) out[i * maxLength + k] = vocab.id(doc[k] as string);
  });
  return out;
}
