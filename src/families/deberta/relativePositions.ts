/**
 * DeBERTa's relative positions as a lookup table. transformers' `make_log_bucket_position`
 * keeps distances under half the buckets as they are and maps longer ones to
 * ceil(log(|d| / mid) / log((max_position − 1) / mid) · (mid − 1)) + mid, in float32; the
 * attention then reads row clamp(bucket + span, 0, 2·span − 1) of the relative table. Both are
 * computed here once per model, emulating float32 step by step, for every distance up to the
 * one from which the clamped row no longer changes; the graph clips distances to that range.
 */
import type { DebertaSettings } from "./config.js";

/** transformers' make_log_bucket_position for one distance, in float32 arithmetic. */
export function logBucket(d: number, bucketSize: number, maxPosition: number): number {
  const mid = Math.floor(bucketSize / 2);
  const abs = d < mid && d > -mid ? mid - 1 : Math.abs(d);
  if (abs <= mid) return d;
  const f = Math.fround;
  const ratio = f(Math.log(f(abs / mid)));
  const base = f(Math.log(f((maxPosition - 1) / mid)));
  const logPos = Math.ceil(f(f(ratio / base) * (mid - 1))) + mid;
  return Math.sign(d) * logPos;
}

/** The relative position (bucketed when configured) of query i to key j at distance d = i − j. */
export function relativePosition(d: number, s: DebertaSettings): number {
  return s.positionBuckets > 0 ? logBucket(d, s.positionBuckets, s.maxRelativePositions) : d;
}

/**
 * Row of the relative table for every distance −D … D (index d + D), and D: beyond ±D the row is
 * the same as at ±D (0 or 2·span − 1).
 */
export function relativeRowTable(s: DebertaSettings): { rows: number[]; maxDistance: number } {
  const last = 2 * s.span - 1;
  const row = (d: number): number => Math.min(last, Math.max(0, relativePosition(d, s) + s.span));
  let D = s.span;
  // buckets grow logarithmically: walk out until both signs sit at the clamp bounds
  while (row(D) !== last || row(-D) !== 0) D++;
  const rows: number[] = [];
  for (let d = -D; d <= D; d++) rows.push(row(d));
  return { rows, maxDistance: D };
}
