/** The size of a run's problem, from its feature export: what the families' a-priori job costs read (src/models/family.ts). */
import type { FeatureSplit } from "../store/features.js";
import type { ProblemSize } from "../models/family.js";

export function problemSize(train: FeatureSplit, test: FeatureSplit, classes: number): ProblemSize {
  const m = train.manifest;
  return { rows: m.rows, testRows: test.rows, tokens: m.tokens, testTokens: test.manifest.tokens, hidden: m.hiddenSize, layers: m.numLayers, classes };
}
