import { describe, expect, it } from 'vitest';
import { boundaryPoints, ratioLabel, renderSvg, weightColors } from './charts.js';

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

describe('ratioLabel', () => {
  it('writes w1:w0 with the smaller side 1', () => {
    expect(ratioLabel(16)).toBe('16:1');
    expect(ratioLabel(1 / 16)).toBe('1:16');
    expect(ratioLabel(1)).toBe('1:1');
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
