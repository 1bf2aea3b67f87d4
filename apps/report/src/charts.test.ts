import { describe, expect, it } from 'vitest';
import { boundaryPoints, renderSvg, type SeriesRow, thinCurve, weightColors } from './charts.js';

describe('boundaryPoints', () => {
  it('finds where p = 0.5 by linear interpolation along rows and columns', () => {
    // p(class 1) = x on a 3x2 grid xs = [0, 0.4, 1]: the boundary is x = 0.5 on both rows.
    const points = boundaryPoints({
      panel: 'p',
      weight: 1,
      epoch: 1,
      xs: [0, 0.4, 1],
      ys: [0, 1],
      p1: [0, 0.4, 1, 0, 0.4, 1],
    });
    expect(points).toHaveLength(2);
    for (const p of points) expect(p.x).toBeCloseTo(0.5, 12);
    expect(points.map((p) => p.y)).toEqual([0, 1]);
  });
});

describe('renderSvg', () => {
  it('renders a Vega-Lite spec to a standalone SVG string', async () => {
    const svg = await renderSvg({
      data: {
        values: [
          { a: 1, b: 2 },
          { a: 2, b: 3 },
        ],
      },
      mark: 'line',
      encoding: {
        x: { field: 'a', type: 'quantitative' },
        y: { field: 'b', type: 'quantitative' },
      },
    });
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<path');
  });
});

describe('weightColors', () => {
  it('draws 1:1 near-black and the two sides in blues and reds, darker further from 1:1', () => {
    const colors = weightColors([1 / 16, 1 / 4, 1, 4, 16]);
    expect(colors[2]).toBe('#252525');
    expect(colors[0]).toBe('#08306b');
    expect(colors[4]).toBe('#67000d');
    expect(new Set(colors).size).toBe(5);
  });
});

describe('thinCurve', () => {
  // A slow decay over 10,000 evaluations with one spike at epoch 5,000, for two weights.
  const curve = (weight: string, epochs = 10_000): SeriesRow[] =>
    Array.from({ length: epochs }, (_, i) => {
      const mean = i === 4_999 ? 2 : Math.exp(-i / 2_000);
      return { panel: 'p', split: 'test', weight, epoch: i + 1, mean, lo: mean, hi: mean };
    });

  it('keeps at most max points, the ends and the extremes', () => {
    for (const log of [false, true]) {
      for (const weight of ['1:4', '4:1']) {
        const line = thinCurve(curve(weight), 400, log);
        expect(line.length).toBeLessThanOrEqual(400);
        expect(line.length).toBeGreaterThan(100);
        expect(line[0]?.epoch).toBe(1);
        expect(line.at(-1)?.epoch).toBe(10_000);
        expect(line.map((r) => r.epoch)).toContain(5_000);
        // In order, so the line is drawn left to right.
        expect(line.every((r, i) => i === 0 || r.epoch > (line[i - 1] as SeriesRow).epoch)).toBe(
          true,
        );
      }
    }
  });

  it('on a log axis keeps every one of the first epochs, where the weights act', () => {
    const log = thinCurve(curve('1:1'), 400, true).map((r) => r.epoch);
    const linear = thinCurve(curve('1:1'), 400, false).map((r) => r.epoch);
    for (let epoch = 1; epoch <= 10; epoch++) expect(log).toContain(epoch);
    expect(log.filter((e) => e <= 100).length).toBeGreaterThan(50);
    expect(linear.filter((e) => e <= 100).length).toBeLessThan(10);
  });

  it('leaves short curves as they are', () => {
    const rows = curve('1:1', 60);
    expect(thinCurve(rows, 400, false)).toEqual(rows);
  });
});
