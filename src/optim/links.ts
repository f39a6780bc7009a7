/**
 * The output links of the linear models, in place on row-major logits [n × c]: the one softmax of
 * the project, and the logistic sigmoid in its two forms. The two sigmoids round differently for
 * negative logits (1/(1+e^−z) against e^z/(1+e^z)); each caller keeps the one its existing outputs
 * were computed with, so that no prediction moves a bit.
 */

/** Row-wise softmax, shifted by the row's maximum. */
export function softmaxRows(z: Float64Array, c: number): Float64Array {
  for (let i = 0; i < z.length; i += c) {
    let mx = -Infinity, s = 0;
    for (let k = 0; k < c; k++) mx = Math.max(mx, z[i + k]);
    for (let k = 0; k < c; k++) s += z[i + k] = Math.exp(z[i + k] - mx);
    for (let k = 0; k < c; k++) z[i + k] /= s;
  }
  return z;
}

/** 1 / (1 + e^−z) for every z (the pooled heads' link; e^−z overflows to ∞ and gives 0 for very negative z, as it should). */
export function sigmoid(z: Float64Array): Float64Array {
  for (let i = 0; i < z.length; i++) z[i] = 1 / (1 + Math.exp(-z[i]));
  return z;
}

/** The sigmoid that never forms e^|z| (the sparse linear models' link): e^z / (1 + e^z) for negative z. */
export function stableSigmoid(z: Float64Array): Float64Array {
  for (let i = 0; i < z.length; i++) z[i] = z[i] >= 0 ? 1 / (1 + Math.exp(-z[i])) : Math.exp(z[i]) / (1 + Math.exp(z[i]));
  return z;
}
