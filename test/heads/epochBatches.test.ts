/**
 * One epoch-batching routine serves the attention head and the fine-tuned heads; it replaced two
 * copies that differed only in how a length-sorted pool is split. Those two former copies are kept
 * here, verbatim, as the reference: the routine must give the same batches in the same order, so
 * that neither model's training moved a bit.
 */
import { describe, it, expect } from "vitest";
import { shuffledLengthBatches } from "../../src/heads/batches.js";
import { lengthOrder, tokenBudgetBatches } from "../../src/backbone/batching.js";
import { mulberry32, shuffled } from "../../src/util/random.js";

/** The attention head's former bucketBatches (src/heads/attention.ts before the shared routine). */
function formerAttention(lengthOf: (r: number) => number, batchSize: number, seed: number, rows: Int32Array, epoch: number): Int32Array[] {
  const order = shuffled(Array.from(rows), seed * 104729 + epoch);
  const out: Int32Array[] = [];
  const pool = batchSize * 16;
  for (let i = 0; i < order.length; i += pool) {
    const chunk = order.slice(i, i + pool).sort((a, b) => lengthOf(a) - lengthOf(b) || a - b);
    for (let j = 0; j < chunk.length; j += batchSize) out.push(Int32Array.from(chunk.slice(j, j + batchSize)));
  }
  return shuffled(out, seed * 31 + epoch);
}

/** The fine-tuned heads' former epochBatches (src/finetune/train.ts before the shared routine). */
function formerFinetune(lengths: ArrayLike<number>, fit: Int32Array, rows: number, tokens: number, seed: number, epoch: number): Int32Array[] {
  const order = shuffled(Array.from(fit), seed * 104729 + epoch);
  const out: Int32Array[] = [];
  const pool = rows * 16;
  for (let i = 0; i < order.length; i += pool) {
    const chunk = lengthOrder(lengths, order.slice(i, i + pool));
    for (const b of tokenBudgetBatches(chunk, lengths, tokens, rows)) out.push(Int32Array.from(b));
  }
  return shuffled(out, seed * 31 + epoch);
}

/** n rows with lengths 1..maxLen (many ties), and a random subset of them as the fitted rows. */
function problem(seed: number, n: number, maxLen: number): { lengths: Int32Array; fit: Int32Array } {
  const r = mulberry32(seed);
  const lengths = Int32Array.from({ length: n }, () => 1 + Math.floor(r() * maxLen));
  const fit = Int32Array.from(Array.from({ length: n }, (_, i) => i).filter(() => r() < 0.8));
  return { lengths, fit };
}

const CASES = [
  { seed: 1, n: 700, maxLen: 64, batch: 8, tokens: 256 },
  { seed: 2, n: 1500, maxLen: 512, batch: 32, tokens: 2048 },
  { seed: 3, n: 37, maxLen: 8, batch: 4, tokens: 12 },
  { seed: 4, n: 3000, maxLen: 128, batch: 16, tokens: 1000 },
];

describe("shuffledLengthBatches gives the batches of both former copies", () => {
  it.each(CASES)("attention's fixed-size split: seed $seed, $n rows, batches of $batch, epochs 0..4", ({ seed, n, maxLen, batch }) => {
    const { lengths, fit } = problem(seed, n, maxLen);
    const split = (sorted: number[]): number[][] => Array.from({ length: Math.ceil(sorted.length / batch) }, (_, j) => sorted.slice(j * batch, j * batch + batch));
    for (let epoch = 0; epoch < 5; epoch++) {
      const now = shuffledLengthBatches(fit, (r) => lengths[r], batch * 16, split, seed, epoch);
      expect(now, `epoch ${epoch}`).toEqual(formerAttention((r) => lengths[r], batch, seed, fit, epoch));
      expect(now.reduce((s, b) => s + b.length, 0)).toBe(fit.length);
    }
  });

  it.each(CASES)("the fine-tuned heads' token-budget split: seed $seed, $n rows, ≤ $batch rows and ≤ $tokens padded tokens, epochs 0..4", ({ seed, n, maxLen, batch, tokens }) => {
    const { lengths, fit } = problem(seed, n, maxLen);
    for (let epoch = 0; epoch < 5; epoch++) {
      const now = shuffledLengthBatches(fit, (r) => lengths[r], batch * 16, (sorted) => tokenBudgetBatches(sorted, lengths, tokens, batch), seed, epoch);
      expect(now, `epoch ${epoch}`).toEqual(formerFinetune(lengths, fit, batch, tokens, seed, epoch));
      expect(new Set(now.flatMap((b) => Array.from(b))).size).toBe(fit.length);
    }
  });
});
