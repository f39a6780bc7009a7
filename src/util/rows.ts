/** Row selection on row-major arrays, shared by folds, heads and blending. */

/** Indices of the rows whose label satisfies `keep` (e.g. the rows of one fold). */
export function rowsWhere(labels: ArrayLike<number>, keep: (label: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (keep(labels[i])) out.push(i);
  return Int32Array.from(out);
}

/** The given rows of a row-major array of width `w`, in the given order. */
export function takeRows(src: Float64Array, rows: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(rows.length * w);
  for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * w, rows[i] * w + w), i * w);
  return out;
}

/** Reorders the rows of a row-major array of width `w` in place: new row i = old row order[i] (cycle by cycle, one spare row). */
export function permuteRows(a: Float64Array, w: number, order: readonly number[]): void {
  const done = new Uint8Array(order.length);
  const spare = new Float64Array(w);
  for (let start = 0; start < order.length; start++) {
    if (done[start] || order[start] === start) continue;
    spare.set(a.subarray(start * w, start * w + w));
    let i = start;
    for (;;) {
      done[i] = 1;
      const from = order[i];
      if (from === start) {
        a.set(spare, i * w);
        break;
      }
      a.copyWithin(i * w, from * w, from * w + w);
      i = from;
    }
  }
}
