/**
 * The mean logistic / softmax loss of logits against class indices, computed on the logits (never
 * through probabilities, so it stays finite however confident the model): the objective of the
 * sparse logistic solver and the early-stopping loss of the gradient-trained heads.
 */

/** Mean loss of logits z (row-major [N × c]) against classes y; writes residuals p − onehot(y) into r when given. */
export function meanLogitLoss(z: Float64Array, y: ArrayLike<number>, c: number, r?: Float64Array): number {
  const N = y.length;
  let loss = 0;
  if (c === 1) {
    for (let i = 0; i < N; i++) {
      const s = z[i], yi = y[i];
      loss += Math.max(s, 0) - yi * s + Math.log1p(Math.exp(-Math.abs(s)));
      if (r) r[i] = (s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s))) - yi;
    }
    return loss / N;
  }
  for (let i = 0, o = 0; i < N; i++, o += c) {
    let mx = -Infinity, sum = 0;
    for (let k = 0; k < c; k++) if (z[o + k] > mx) mx = z[o + k];
    for (let k = 0; k < c; k++) sum += Math.exp(z[o + k] - mx);
    loss += mx + Math.log(sum) - z[o + y[i]];
    if (r) for (let k = 0; k < c; k++) r[o + k] = Math.exp(z[o + k] - mx) / sum - (k === y[i] ? 1 : 0);
  }
  return loss / N;
}
