// The two real text data sets and the step from raw text to LabeledData. Features are always
// built with a vocabulary from the training split alone.
import path from 'node:path';
import { DataError, SpecError } from '@iwlab/core';
import type { LabeledData } from '../dataset.js';
import { readTextLines, resolveDataDir } from '../internal/io.js';
import { stratifiedSplit } from '../shift.js';
import {
  bagOfWords,
  padSequences,
  tokenize,
  Vocabulary,
  type VocabularyOptions,
} from './vocabulary.js';

/** Raw labelled texts of one split. */
export interface TextSplit {
  readonly texts: readonly string[];
  readonly y: Int32Array;
  readonly classNames: readonly string[];
  readonly source: string;
}

const SMS_HOW_TO_GET =
  'Expected the UCI SMS Spam Collection as <data dir>/sms-spam/SMSSpamCollection ' +
  '(archive.ics.uci.edu, dataset 228); the data dir is the dataDir option, else IWLAB_DATA_DIR.';
const SST2_HOW_TO_GET =
  'Expected SST-2 sentence files (Kim 2014 preprocessing) as <data dir>/sst2/stsa.binary.{train,dev,test}; ' +
  'the data dir is the dataDir option, else IWLAB_DATA_DIR.';

function nonEmpty(lines: string[]): { line: string; number: number }[] {
  return lines.map((line, i) => ({ line, number: i + 1 })).filter((l) => l.line.trim() !== '');
}

export interface SmsSpamOptions {
  readonly dataDir?: string;
  /** Share of each class held out as the test split (default 0.2); the data has no official split. */
  readonly testFraction?: number;
  readonly seed?: number;
}

/** SMS Spam Collection, labels ham = 0, spam = 1, with a seeded stratified train/test split. */
export function loadSmsSpam(options: SmsSpamOptions = {}): { train: TextSplit; test: TextSplit } {
  const file = path.join(resolveDataDir(options.dataDir), 'sms-spam', 'SMSSpamCollection');
  const classNames = ['ham', 'spam'];
  const texts: string[] = [];
  const labels: number[] = [];
  for (const { line, number } of nonEmpty(readTextLines(file, SMS_HOW_TO_GET))) {
    const tab = line.indexOf('\t');
    const label = classNames.indexOf(tab < 0 ? line : line.slice(0, tab));
    if (tab < 0 || label < 0) {
      throw new DataError(
        `expected "ham<TAB>text" or "spam<TAB>text", found "${line.slice(0, 40)}"`,
        {
          file,
          field: `line ${number}`,
        },
      );
    }
    texts.push(line.slice(tab + 1));
    labels.push(label);
  }
  return splitTexts({ texts, y: Int32Array.from(labels), classNames, source: file }, options);
}

function splitTexts(
  all: TextSplit,
  options: SmsSpamOptions,
): { train: TextSplit; test: TextSplit } {
  const n = all.texts.length;
  const holder: LabeledData<Int32Array> = {
    x: Int32Array.from({ length: n }, (_, i) => i),
    exampleShape: [1],
    y: all.y,
    numClasses: all.classNames.length,
    classNames: all.classNames,
    source: all.source,
  };
  const { train, test } = stratifiedSplit(holder, options.testFraction ?? 0.2, options.seed ?? 0);
  const pick = (part: LabeledData<Int32Array>): TextSplit => ({
    texts: Array.from(part.x, (i) => all.texts[i] as string),
    y: part.y,
    classNames: all.classNames,
    source: all.source,
  });
  return { train: pick(train), test: pick(test) };
}

/** SST-2 sentences, labels negative = 0, positive = 1, with the official train/dev/test split. */
export function loadSst2(options: { readonly dataDir?: string } = {}): {
  train: TextSplit;
  dev: TextSplit;
  test: TextSplit;
} {
  const dir = path.join(resolveDataDir(options.dataDir), 'sst2');
  const read = (split: string): TextSplit => {
    const file = path.join(dir, `stsa.binary.${split}`);
    const texts: string[] = [];
    const labels: number[] = [];
    for (const { line, number } of nonEmpty(readTextLines(file, SST2_HOW_TO_GET))) {
      const label = line[0];
      if ((label !== '0' && label !== '1') || line[1] !== ' ') {
        throw new DataError(`expected "<0|1> <sentence>", found "${line.slice(0, 40)}"`, {
          file,
          field: `line ${number}`,
        });
      }
      texts.push(line.slice(2));
      labels.push(Number(label));
    }
    return {
      texts,
      y: Int32Array.from(labels),
      classNames: ['negative', 'positive'],
      source: file,
    };
  };
  return { train: read('train'), dev: read('dev'), test: read('test') };
}

export interface TextFeatureOptions extends VocabularyOptions {
  /** 'bag-of-words' (default): float32 [N, V] counts; 'sequence': int32 ids [N, maxLength]. */
  readonly representation?: 'bag-of-words' | 'sequence';
  /** Sequence length (default 64). */
  readonly maxLength?: number;
  /** Bag-of-words as 0/1 presence instead of counts. */
  readonly binary?: boolean;
}

/**
 * Features for every split from a vocabulary of `splits.train` alone: words seen only in
 * dev/test map to <unk>.
 */
export function textFeatures<K extends string>(
  splits: { readonly train: TextSplit } & Readonly<Record<K, TextSplit>>,
  options: TextFeatureOptions = {},
): { vocabulary: Vocabulary } & Record<'train' | K, LabeledData<Float32Array | Int32Array>> {
  const tokenized = new Map<string, string[][]>();
  for (const [name, split] of Object.entries(splits) as [string, TextSplit][]) {
    tokenized.set(name, split.texts.map(tokenize));
  }
  const vocabulary = Vocabulary.build(tokenized.get('train') ?? [], options);
  const representation = options.representation ?? 'bag-of-words';
  if (representation !== 'bag-of-words' && representation !== 'sequence') {
    throw new SpecError(
      `representation is "${String(representation)}"; expected bag-of-words or sequence`,
      {
        field: 'representation',
      },
    );
  }
  const maxLength = options.maxLength ?? 64;
  const out: Record<string, unknown> = { vocabulary };
  for (const [name, split] of Object.entries(splits) as [string, TextSplit][]) {
    const docs = tokenized.get(name) ?? [];
    out[name] = {
      x:
        representation === 'sequence'
          ? padSequences(docs, vocabulary, maxLength)
          : bagOfWords(docs, vocabulary, options.binary === true ? { binary: true } : {}),
      exampleShape: [representation === 'sequence' ? maxLength : vocabulary.size],
      y: split.y,
      numClasses: split.classNames.length,
      classNames: split.classNames,
      source: split.source,
    } satisfies LabeledData;
  }
  return out as { vocabulary: Vocabulary } & Record<
    'train' | K,
    LabeledData<Float32Array | Int32Array>
  >;
}
