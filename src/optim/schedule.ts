/** The learning-rate schedule of the gradient-trained heads and the fine-tuned models (linear warm-up, then linear decay to zero). */

export interface Schedule {
  totalSteps: number;
  warmupSteps: number;
}

/** Learning-rate multiplier at step (1-based): linear warm-up, then linear decay to zero. */
export function lrFactor(step: number, s: Schedule): number {
  if (step <= s.warmupSteps) return step / Math.max(1, s.warmupSteps);
  return Math.max(0, (s.totalSteps - step) / Math.max(1, s.totalSteps - s.warmupSteps));
}
