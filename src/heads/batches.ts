/** How the gradient-trained heads cut an epoch's rows into batches (seeded). */
import { shuffled } from "../util/random.js";

/** The rows shuffled (seeded) and cut into slices of `size`. */
export function shuffledSlices(rows: Int32Array, size: number, seed: number): Int32Array[] {
  const order = Int32Array.from(shuffled(Array.from(rows), seed));
  const out: Int32Array[] = [];
  for (let i = 0; i < order.length; i += size) out.push(order.subarray(i, i + size));
  return out;
}

/**
 * One epoch's batches of similar lengths in a random order: the rows shuffled (seeded by epoch),
 * cut into pools of `poolRows`, each pool sorted by length and split by `split` into batches, the
 * batches shuffled — little padding, yet no fixed order of lengths over the epoch.
 */
export function shuffledLengthBatches(rows: ArrayLike<number>, length: (row: number) => number, poolRows: number, split: (sorted: number[]) => number[][], seed: number, epoch: number): Int32Array[] {
  const order = shuffled(Array.from(rows), seed * 104729 + epoch);
  const out: Int32Array[] = [];
  for (let i = 0; i < order.length; i += poolRows) {
    const pool = order.slice(i, i + poolRows).sort((a, b) => length(a) - length(b) || a - b);
    for (const b of split(pool)) out.push(Int32Array.from(b));
  }
  return shuffled(out, seed * 31 + epoch);
}
