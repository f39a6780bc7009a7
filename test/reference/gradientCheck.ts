/**
 * The gradient comparison shared by the fine-tuning gradient tests: every entry of every
 * gradient tensor (or a seeded sample of MAX_ENTRIES) against central finite differences of
 * the float64 reference loss.
 */
import { shuffled } from "../../src/util/random.js";

/** central-difference step on the float64 reference: truncation ~h²·L‴ ≈ 1e-9, rounding ~1e-16/h ≈ 1e-11 */
export const FD_STEP = 1e-5;
/** tensors with more entries than this are checked on a seeded sample of this many */
export const MAX_ENTRIES = 256;
/**
 * float32 graph vs float64 finite differences, per entry of a tensor whose largest |fd| is S:
 *   |g − fd| ≤ GRAD_ATOL + GRAD_SCALE_TOL·S + GRAD_RTOL·|fd|
 * Gradient tensors here have S ≈ 3e-3…10 (measured on these cases). A plain float32 ORT forward of
 * this model matches the reference logits to ≤5e-7 relative; float32 backprop should err by
 * ~1e-6·S, so this leaves ~100× headroom, while a missing or misrouted term (an O(|g|) error) fails. Scaling the absolute part by S keeps small-gradient tensors (e.g. the top
 * layer under weightedLayer/mean, S ≈ 3e-3) checked as tightly as the large ones.
 */
export const GRAD_ATOL = 1e-6, GRAD_SCALE_TOL = 1e-3, GRAD_RTOL = 2e-3;
/** and per tensor: ‖g − fd‖₂ ≤ GRAD_NORM_RTOL·‖fd‖₂ + GRAD_ATOL·√n, which catches small systematic errors */
export const GRAD_NORM_RTOL = 1e-3;

export interface GradientReport {
  /** one line per entry or tensor out of tolerance */
  bad: string[];
  /** the worst entry's error as a fraction of its tolerance, and its name */
  worstRatio: number;
  worstName: string;
  /** the worst tensor's norm error as a fraction of its tolerance */
  worstNorm: number;
}

/** Checks `grad(name)` of every parameter against central differences of `loss()` as `params` entries move. */
export function compareGradients(names: readonly string[], grad: (name: string) => Float32Array, params: ReadonlyMap<string, Float64Array>, loss: () => number, seed: number): GradientReport {
  const r: GradientReport = { bad: [], worstRatio: 0, worstName: "", worstNorm: 0 };
  for (const name of names) {
    const g = grad(name);
    const w = params.get(name)!;
    if (g.length !== w.length) r.bad.push(`grad.${name}: ${g.length} entries for ${w.length} parameters`);
    const all = Array.from({ length: w.length }, (_, i) => i);
    const entries = w.length <= MAX_ENTRIES ? all : shuffled(all, seed * 7919 + w.length).slice(0, MAX_ENTRIES);
    const fd = entries.map((i) => {
      const keep = w[i];
      w[i] = keep + FD_STEP;
      const up = loss();
      w[i] = keep - FD_STEP;
      const down = loss();
      w[i] = keep;
      return (up - down) / (2 * FD_STEP);
    });
    const S = fd.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let diff2 = 0, fd2 = 0;
    entries.forEach((i, e) => {
      const err = Math.abs(g[i] - fd[e]);
      diff2 += err * err;
      fd2 += fd[e] * fd[e];
      const ratio = err / (GRAD_ATOL + GRAD_SCALE_TOL * S + GRAD_RTOL * Math.abs(fd[e]));
      if (!(ratio <= 1)) r.bad.push(`${name}[${i}]: graph ${g[i]} vs finite difference ${fd[e]} (largest |fd| of the tensor ${S.toExponential(2)})`);
      if (ratio > r.worstRatio) [r.worstRatio, r.worstName] = [ratio, `${name}[${i}]`];
    });
    const normErr = Math.sqrt(diff2) / (GRAD_NORM_RTOL * Math.sqrt(fd2) + GRAD_ATOL * Math.sqrt(entries.length));
    r.worstNorm = Math.max(r.worstNorm, normErr);
    if (!(normErr <= 1)) r.bad.push(`${name}: ‖g − fd‖ = ${Math.sqrt(diff2).toExponential(2)} vs ‖fd‖ = ${Math.sqrt(fd2).toExponential(2)}`);
  }
  return r;
}
