// UCI Adult (census income), parsed with tfjs-data's CSV reader. Numeric columns are
// standardized and categorical ones one-hot encoded, both from training-split statistics only.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '@iwlab/core';
import * as tfd from '@tensorflow/tfjs-data';
import type { LabeledData } from './dataset.js';
import { readTextLines, resolveDataDir } from './internal/io.js';

export const ADULT_COLUMNS = [
  'age',
  'workclass',
  'fnlwgt',
  'education',
  'education-num',
  'marital-status',
  'occupation',
  'relationship',
  'race',
  'sex',
  'capital-gain',
  'capital-loss',
  'hours-per-week',
  'native-country',
  'income',
] as const;

const NUMERIC = new Set([
  'age',
  'fnlwgt',
  'education-num',
  'capital-gain',
  'capital-loss',
  'hours-per-week',
]);
const FEATURES = ADULT_COLUMNS.filter((c) => c !== 'income');

const HOW_TO_GET =
  'Expected UCI Adult as <data dir>/adult/adult.data[.gz] and adult.test[.gz] ' +
  '(archive.ics.uci.edu, dataset 2); the data dir is the dataDir option, else IWLAB_DATA_DIR.';

type Row = Record<string, string | number>;

interface RawSplit {
  readonly rows: Row[];
  readonly file: string;
  /** 1-based line number in the file of each row, for error messages. */
  readonly lines: number[];
}

async function readRows(file: string): Promise<RawSplit> {
  const kept: { line: string; number: number }[] = [];
  readTextLines(file, HOW_TO_GET).forEach((line, i) => {
    // adult.test opens with "|1x3 Cross validator"; both files end with blank lines.
    if (line.trim() === '' || line.startsWith('|')) return;
    kept.push({ line, number: i + 1 });
  });
  for (const { line, number } of kept) {
    const fields = line.split(',').length;
    if (fields !== ADULT_COLUMNS.length) {
      throw new DataError(
        `expected ${ADULT_COLUMNS.length} comma-separated values, found ${fields}`,
        {
          file,
          field: `line ${number}`,
        },
      );
    }
  }
  const bytes = new TextEncoder().encode(kept.map((k) => k.line).join('\n'));
  const csv = new tfd.CSVDataset(new tfd.FileDataSource(bytes), {
    hasHeader: false,
    columnNames: [...ADULT_COLUMNS],
  });
  const rows = (await csv.toArray()) as unknown as Row[];
  return { rows, file, lines: kept.map((k) => k.number) };
}

export interface AdultData {
  readonly train: LabeledData<Float32Array>;
  readonly test: LabeledData<Float32Array>;
  /** Name of each feature column: numeric names as is, one-hot ones as "column=value". */
  readonly featureNames: readonly string[];
  /** Sex of each example (0 = Female, 1 = Male), e.g. for withGroups(). */
  readonly sex: { readonly train: Int32Array; readonly test: Int32Array };
}

/** The gzipped copy when there is one, else the plain file. */
function locate(dir: string, name: string): string {
  const gz = path.join(dir, `${name}.gz`);
  return existsSync(gz) ? gz : path.join(dir, name);
}

/**
 * Both splits of Adult: label ">50K" = 1. Missing values ("?") are a category of their own.
 * Numeric columns are standardized with the training mean and standard deviation.
 */
export async function loadAdult(options: { readonly dataDir?: string } = {}): Promise<AdultData> {
  const dir = path.join(resolveDataDir(options.dataDir), 'adult');
  const train = await readRows(locate(dir, 'adult.data'));
  const test = await readRows(locate(dir, 'adult.test'));

  const categories = new Map<string, string[]>();
  const stats = new Map<string, { mean: number; std: number }>();
  for (const col of FEATURES) {
    if (NUMERIC.has(col)) {
      const values = train.rows.map((r, i) => numeric(r[col], train, i, col));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) || 1;
      stats.set(col, { mean, std });
    } else {
      categories.set(col, [...new Set(train.rows.map((r) => String(r[col]).trim()))].sort());
    }
  }
  const featureNames = FEATURES.flatMap((col) =>
    NUMERIC.has(col) ? [col] : (categories.get(col) ?? []).map((v) => `${col}=${v}`),
  );
  const encode = (split: RawSplit): { data: LabeledData<Float32Array>; sex: Int32Array } => {
    const width = featureNames.length;
    const x = new Float32Array(split.rows.length * width);
    const y = new Int32Array(split.rows.length);
    const sex = new Int32Array(split.rows.length);
    split.rows.forEach((row, i) => {
      let j = i * width;
      for (const col of FEATURES) {
        if (NUMERIC.has(col)) {
          const s = stats.get(col) as { mean: number; std: number };
          x[j++] = (numeric(row[col], split, i, col) - s.mean) / s.std;
        } else {
          const values = categories.get(col) as string[];
          // A value never seen in training stays all-zero rather than getting a column.
          const k = values.indexOf(String(row[col]).trim());
          if (k >= 0) x[j + k] = 1;
          j += values.length;
        }
      }
      const income = String(row['income']).trim().replace(/\.$/, '');
      if (income !== '>50K' && income !== '<=50K') {
        throw new DataError(`income is "${income}"; expected ">50K" or "<=50K"`, {
          file: split.file,
          field: `line ${split.lines[i]} income`,
        });
      }
      y[i] = income === '>50K' ? 1 : 0;
      sex[i] = String(row['sex']).trim() === 'Male' ? 1 : 0;
    });
    return {
      data: {
        x,
        exampleShape: [width],
        y,
        numClasses: 2,
        classNames: ['<=50K', '>50K'],
        source: split.file,
      },
      sex,
    };
  };
  const tr = encode(train);
  const te = encode(test);
  return { train: tr.data, test: te.data, featureNames, sex: { train: tr.sex, test: te.sex } };
}

function numeric(
  value: string | number | undefined,
  split: RawSplit,
  i: number,
  col: string,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new DataError(`expected a number, found "${String(value)}"`, {
      file: split.file,
      field: `line ${split.lines[i]} ${col}`,
    });
  }
  return value;
}
