/**
 * Fold assignment, the same for every head (blending depends on it): stratified for
 * classification, on quantile bins of the (first) target for regression, grouped when a group
 * column is set. Seeded and independent of everything but labels, groups and seed.
 */
import { mulberry32, shuffled } from "../util/random.js";

/** Stratified K-fold: each class's rows, shuffled, dealt round-robin starting after the previous class. */
export function stratifiedFolds(strata: ArrayLike<number>, k: number, seed: number): Int32Array {
  const n = strata.length;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const s = strata[i];
    if (!byClass.has(s)) byClass.set(s, []);
    byClass.get(s)!.push(i);
  }
  const folds = new Int32Array(n);
  let offset = 0;
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = shuffled(byClass.get(cls)!, seed * 1000003 + cls);
    rows.forEach((r, j) => (folds[r] = (offset + j) % k));
    offset = (offset + rows.length) % k;
  }
  return folds;
}

/** Quantile bins of a continuous target, for stratifying regression folds. */
export function quantileBins(y: ArrayLike<number>, bins: number): Int32Array {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[a] - y[b] || a - b);
  const out = new Int32Array(n);
  order.forEach((r, rank) => (out[r] = Math.min(bins - 1, Math.floor((rank * bins) / n))));
  return out;
}

/**
 * Group K-fold: groups shuffled with the seed, then each (largest first) goes to the currently
 * smallest fold — balanced sizes, and no group is ever split across folds.
 */
export function groupFolds(groups: readonly string[], k: number, seed: number): Int32Array {
  const size = new Map<string, number>();
  for (const g of groups) size.set(g, (size.get(g) ?? 0) + 1);
  const names = shuffled([...size.keys()].sort(), seed);
  const rand = mulberry32(seed);
  const tiebreak = new Map(names.map((g) => [g, rand()]));
  names.sort((a, b) => size.get(b)! - size.get(a)! || tiebreak.get(a)! - tiebreak.get(b)!);
  const load = new Array<number>(k).fill(0);
  const foldOf = new Map<string, number>();
  for (const g of names) {
    let f = 0;
    for (let j = 1; j < k; j++) if (load[j] < load[f]) f = j;
    foldOf.set(g, f);
    load[f] += size.get(g)!;
  }
  return Int32Array.from(groups, (g) => foldOf.get(g)!);
}
