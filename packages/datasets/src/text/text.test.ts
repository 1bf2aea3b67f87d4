import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataError, DatasetMissingError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { REAL_DATA_DIR, realDataMissing } from '../__tests__/data-dir.js';
import { tempDir } from '../__tests__/tmp.js';
import { classCounts } from '../dataset.js';
import { loadSmsSpam, loadSst2, textFeatures } from './corpora.js';
import { bagOfWords, padSequences, tokenize, Vocabulary } from './vocabulary.js';

describe('tokenizer and vocabulary', () => {
  it('tokenizes to lower-case words, keeping contractions', () => {
    expect(tokenize("It's NOT good -- isn't it? 100%")).toEqual([
      "it's",
      'not',
      'good',
      "isn't",
      'it',
      '100',
    ]);
    expect(tokenize("does n't work")).toEqual(['does', "n't", 'work']);
  });

  it('orders by frequency then alphabet, with <pad> = 0 and <unk> = 1', () => {
    const v = Vocabulary.build(
      [
        ['b', 'a', 'c', 'a'],
        ['c', 'd'],
      ],
      { minCount: 1 },
    );
    expect(v.tokens).toEqual(['<pad>', '<unk>', 'a', 'c', 'b', 'd']);
    expect(
      Vocabulary.build(
        [
          ['b', 'a', 'c', 'a'],
          ['c', 'd'],
        ],
        { minCount: 2 },
      ).tokens,
    ).toEqual(['<pad>', '<unk>', 'a', 'c']);
    expect(Vocabulary.build([['b', 'a', 'c', 'a']], { maxSize: 3 }).tokens).toEqual([
      '<pad>',
      '<unk>',
      'a',
    ]);
    expect(Array.from(v.encode(['a', 'zzz']))).toEqual([2, 1]);
  });

  it('builds bag-of-words counts and padded sequences', () => {
    const v = Vocabulary.fromTokens(['<pad>', '<unk>', 'a', 'b']);
    expect(Array.from(bagOfWords([['a', 'a', 'x'], ['b']], v))).toEqual([0, 1, 2, 0, 0, 0, 0, 1]);
    expect(Array.from(bagOfWords([['a', 'a']], v, { binary: true }))).toEqual([0, 0, 1, 0]);
    expect(Array.from(padSequences([['a', 'b', 'a'], ['b']], v, 2))).toEqual([2, 3, 3, 0]);
  });

  it('builds the vocabulary from the training split only', () => {
    const splits = {
      train: {
        texts: ['good film', 'bad film'],
        y: Int32Array.from([1, 0]),
        classNames: ['n', 'p'],
        source: 't',
      },
      test: {
        texts: ['unseen film'],
        y: Int32Array.from([1]),
        classNames: ['n', 'p'],
        source: 't',
      },
    };
    const f = textFeatures(splits);
    expect(f.vocabulary.tokens).not.toContain('unseen');
    // "unseen" is counted as <unk> (column 1), "film" in its own column.
    const film = f.vocabulary.id('film');
    expect(f.test.x[1]).toBe(1);
    expect(f.test.x[film]).toBe(1);
    const seq = textFeatures(splits, { representation: 'sequence', maxLength: 3 });
    expect(Array.from(seq.test.x)).toEqual([1, film, 0]);
    expect(seq.test.exampleShape).toEqual([3]);
  });
});

describe('text corpora', () => {
  const root = tempDir('text');

  it('reads SMS spam lines and reports a bad line by number', () => {
    mkdirSync(path.join(root, 'sms-spam'));
    const lines = [
      'ham\tok then',
      'spam\tWIN now',
      'ham\tsee you',
      'ham\tfine',
      'spam\tfree prize',
      '',
    ];
    writeFileSync(path.join(root, 'sms-spam', 'SMSSpamCollection'), lines.join('\r\n'));
    const { train, test } = loadSmsSpam({ dataDir: root, testFraction: 0.5, seed: 1 });
    expect(train.texts.length + test.texts.length).toBe(5);
    expect([...train.texts, ...test.texts].sort()).toContain('WIN now');
    writeFileSync(path.join(root, 'sms-spam', 'SMSSpamCollection'), 'ham\tok\nmaybe\tx\n');
    expect(() => loadSmsSpam({ dataDir: root })).toThrow(DataError);
    expect(() => loadSmsSpam({ dataDir: root })).toThrow(
      /SMSSpamCollection, field line 2: expected "ham<TAB>text"/,
    );
  });

  it('reads SST-2 lines, rejects bad labels, and says how to get missing files', () => {
    mkdirSync(path.join(root, 'sst2'));
    for (const split of ['train', 'dev', 'test']) {
      writeFileSync(
        path.join(root, 'sst2', `stsa.binary.${split}`),
        '1 a fine film\n0 a dull one\n',
      );
    }
    const s = loadSst2({ dataDir: root });
    expect(s.train.texts).toEqual(['a fine film', 'a dull one']);
    expect(Array.from(s.dev.y)).toEqual([1, 0]);
    writeFileSync(path.join(root, 'sst2', 'stsa.binary.dev'), '1 ok\n2 bad\n');
    expect(() => loadSst2({ dataDir: root })).toThrow(/stsa\.binary\.dev, field line 2/);
    expect(() => loadSst2({ dataDir: path.join(root, 'nope') })).toThrow(DatasetMissingError);
    expect(() => loadSst2({ dataDir: path.join(root, 'nope') })).toThrow(
      /stsa\.binary\.train: file not found/,
    );
  });

  it.skipIf(realDataMissing('sms-spam'))(
    'real SMS spam: 5574 messages, 747 spam, stratified',
    () => {
      const { train, test } = loadSmsSpam({ dataDir: REAL_DATA_DIR, seed: 0 });
      const count = (y: Int32Array) => classCounts({ y, numClasses: 2 });
      expect(count(train.y)).toEqual([3862, 598]);
      expect(count(test.y)).toEqual([965, 149]);
    },
  );

  it.skipIf(realDataMissing('sst2'))('real SST-2: the official split sizes and balance', () => {
    const s = loadSst2({ dataDir: REAL_DATA_DIR });
    const count = (y: Int32Array) => classCounts({ y, numClasses: 2 });
    expect(count(s.train.y)).toEqual([3310, 3610]);
    expect(count(s.dev.y)).toEqual([428, 444]);
    expect(count(s.test.y)).toEqual([912, 909]);
  });
});
