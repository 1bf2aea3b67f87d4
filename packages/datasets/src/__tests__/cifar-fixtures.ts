// Writes small CIFAR-10 record files in the real layout: record k of a file has label
// labels[k] and pixel value (k + plane * 7 + p) mod 256 at position p of plane (R=0, G=1, B=2).
import { writeFileSync } from 'node:fs';

export function cifarRecordBytes(labels: readonly number[]): Buffer {
  const out = Buffer.alloc(labels.length * 3073);
  labels.forEach((label, k) => {
    out[k * 3073] = label;
    for (let plane = 0; plane < 3; plane++) {
      for (let p = 0; p < 1024; p++)
        out[k * 3073 + 1 + plane * 1024 + p] = (k + plane * 7 + p) % 256;
    }
  });
  return out;
}

export function writeCifarFile(file: string, labels: readonly number[]): void {
  writeFileSync(file, cifarRecordBytes(labels));
}

/** The value the reader must put at image k, pixel p, channel c (channels last). */
export function expectedPixel(k: number, p: number, c: number): number {
  return (k + c * 7 + p) % 256;
}
