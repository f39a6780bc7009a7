/**
 * Length-sorted batches under a token budget: rows of similar length share a batch, so padding
 * (wasted FLOPs) stays small, and a batch never exceeds `budget` padded tokens.
 */

/** Row order sorted by length (stable on ties so plans are deterministic). */
export function lengthOrder(lengths: ArrayLike<number>, indices?: readonly number[]): number[] {
  const idx = indices ? [...indices] : Array.from({ length: lengths.length }, (_, i) => i);
  return idx.sort((a, b) => lengths[a] - lengths[b] || a - b);
}

/**
 * Splits `order` (assumed length-sorted) into consecutive batches whose padded size
 * (rows × longest row) stays within `budget`; a single over-long row gets a batch of its own.
 */
export function tokenBudgetBatches(order: readonly number[], lengths: ArrayLike<number>, budget: number, maxRows = 256): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const l = Math.max(longest, lengths[i]);
    if (cur.length > 0 && ((cur.length + 1) * l > budget || cur.length >= maxRows)) {
      out.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, lengths[i]);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
