/** Small dense linear algebra on row-major Float64Arrays (the dense minimiser is in src/optim/lbfgs.ts). */

/** Lower-triangular Cholesky factor of a symmetric positive-definite d×d matrix (in place copy). */
export function cholesky(A: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j];
      const li = i * d, lj = j * d;
      for (let k = 0; k < j; k++) s -= L[li + k] * L[lj + k];
      if (i === j) {
        if (s <= 0) throw new Error("matrix is not positive definite");
        L[li + i] = Math.sqrt(s);
      } else L[li + j] = s / L[lj + j];
    }
  }
  return L;
}

/** Solves (L Lᵀ) X = B for B d×m (row-major), returns X. */
export function cholSolve(L: Float64Array, d: number, B: Float64Array, m: number): Float64Array {
  const X = Float64Array.from(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < d; i++) {
      let s = X[i * m + c];
      for (let k = 0; k < i; k++) s -= L[i * d + k] * X[k * m + c];
      X[i * m + c] = s / L[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = X[i * m + c];
      for (let k = i + 1; k < d; k++) s -= L[k * d + i] * X[k * m + c];
      X[i * m + c] = s / L[i * d + i];
    }
  }
  return X;
}
