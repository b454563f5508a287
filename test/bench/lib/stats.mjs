// Small statistics and formatting helpers of the benchmark.

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Mean of the middle half (drops the quarter above and the quarter below). */
export function trimmedMean(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const cut = Math.floor(sorted.length / 4);
  const middle = sorted.slice(cut, sorted.length - cut);
  return middle.length ? sum(middle) / middle.length : Number.NaN;
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/** Least-squares line through (x, y): slope, intercept and r². */
export function linearFit(points) {
  const n = points.length;
  const mx = sum(points.map((p) => p.x)) / n;
  const my = sum(points.map((p) => p.y)) / n;
  const sxy = sum(points.map((p) => (p.x - mx) * (p.y - my)));
  const sxx = sum(points.map((p) => (p.x - mx) ** 2));
  const syy = sum(points.map((p) => (p.y - my) ** 2));
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: sxx === 0 || syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** Rotates an array so that each round starts with a different variant (interleaving). */
export function rotate(items, by) {
  const k = ((by % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** A deterministic shuffle (seeded), so the run's order is reproducible. */
export function shuffled(items, seed) {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function fmt(value, digits = 2) {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}
