/** Small dense linear algebra on row-major Float64Arrays. */

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

/**
 * Limited-memory BFGS with a backtracking (Armijo) line search. `f` returns the loss (or a
 * promise of it, when the products run in ONNX Runtime) and writes the gradient into `g`.
 * Deterministic; stops on small gradient (`tol`), relative loss change (`relTol`) or `maxIter`.
 */
export async function lbfgs(f: (x: Float64Array, g: Float64Array) => number | Promise<number>, x0: Float64Array, opts: { maxIter?: number; m?: number; tol?: number; relTol?: number } = {}): Promise<{ x: Float64Array; loss: number; iters: number; evals: number }> {
  const n = x0.length, m = opts.m ?? 10, maxIter = opts.maxIter ?? 200, tol = opts.tol ?? 1e-7, relTol = opts.relTol ?? 1e-10;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let evals = 1;
  let fx = await f(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const dir = new Float64Array(n), alpha = new Float64Array(m);
  const xn = new Float64Array(n), gn = new Float64Array(n);
  let it = 0;
  for (; it < maxIter; it++) {
    let gnorm = 0;
    for (let i = 0; i < n; i++) gnorm = Math.max(gnorm, Math.abs(g[i]));
    if (gnorm < tol) break;
    // two-loop recursion
    for (let i = 0; i < n; i++) dir[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < n; i++) a += S[k][i] * dir[i];
      a *= rho[k];
      alpha[k] = a;
      for (let i = 0; i < n; i++) dir[i] -= a * Y[k][i];
    }
    if (S.length > 0) {
      const k = S.length - 1;
      let yy = 0, sy = 0;
      for (let i = 0; i < n; i++) {
        yy += Y[k][i] * Y[k][i];
        sy += S[k][i] * Y[k][i];
      }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) dir[i] *= gamma;
    } else {
      const s = 1 / Math.max(1, Math.sqrt(g.reduce((a, v) => a + v * v, 0)));
      for (let i = 0; i < n; i++) dir[i] *= s;
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let i = 0; i < n; i++) b += Y[k][i] * dir[i];
      b *= rho[k];
      for (let i = 0; i < n; i++) dir[i] += S[k][i] * (alpha[k] - b);
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += g[i] * dir[i];
    if (slope >= 0) {
      // not a descent direction: restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i];
      slope = -g.reduce((a, v) => a + v * v, 0);
    }
    let step = 1, fn = 0, ok = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xn[i] = x[i] + step * dir[i];
      fn = await f(xn, gn);
      evals++;
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * step * slope) {
        ok = true;
        break;
      }
      step *= 0.5;
    }
    if (!ok) break;
    const s = new Float64Array(n), y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xn[i] - x[i];
      y[i] = gn[i] - g[i];
      sy += s[i] * y[i];
    }
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const rel = Math.abs(fx - fn) / Math.max(1, Math.abs(fx));
    x = Float64Array.from(xn);
    g = Float64Array.from(gn);
    fx = fn;
    if (rel < relTol) break;
  }
  return { x, loss: fx, iters: it, evals };
}
