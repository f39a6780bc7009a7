/** The five pooling heads on the frozen backbone, as one model family (src/models/family.ts). */
import type { ModelFamily } from "../models/family.js";
import { HEAD_NAMES } from "../models/names.js";
import { parseHeadOptions, type HeadOptions } from "./options.js";

export const headsFamily: ModelFamily<HeadOptions> = {
  names: HEAD_NAMES,
  label: "the frozen heads",
  parseOptions: parseHeadOptions,
  cacheOptions: (name, o) => (name === "weightedLayer" ? { weightedLayer: o.weightedLayer } : {}),
  trainer: (name) => new URL(`./${name}.ts`, import.meta.url),
  /**
   * Coefficients from jobs measured on the 2-core AVX-512 machine (README "Performance"); the
   * progress line rescales them by the latest finished jobs (src/oof/schedule.ts).
   */
  priorSeconds(name, s) {
    const H = s.hidden, c = Math.max(1, s.classes);
    if (name === "attention") {
      // ≈ 2 epochs of 8·H² FLOPs per token forward + backward, plus inference over the OOF fold, the test rows and the early-stopping rows
      const inferTokens = 0.2 * s.tokens + s.testTokens + 0.08 * s.tokens * 2;
      return (8 * H * H * 2 * 0.72 * s.tokens + 4 * H * H * inferTokens) / 100e9 + 1;
    }
    if (name === "weightedLayer") return (30 * s.rows * H * c * 8) / 2.5e9 + 0.5;
    // ≈ 1,500 L-BFGS evaluations over two thirds of the training rows, two float64 products each
    return (1500 * 4 * 0.53 * s.rows * H * c) / 25e9 + 0.5;
  },
};
