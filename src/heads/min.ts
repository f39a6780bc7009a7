/**
 * The min pooling head. Masked min of the last hidden state over the valid tokens: padding never takes part.
 * The backbone graph computes this reduction in ONNX (src/backbone/encoderGraph.ts); `pool` is the same math
 * on one row's token states, the definition the graph is tested against.
 */
import type { FeatureSources, FoldTask, FoldResult } from "./types.js";
import { maskedReduce, trainPooledLinear } from "./pooledLinear.js";

/** min-pools one row's T valid token vectors ([T × H]). */
export function pool(tokens: ArrayLike<number>, T: number, H: number): Float64Array {
  return maskedReduce(tokens, T, H, Infinity, Math.min);
}

/** Standardised min-pooled vector → logistic / softmax / ridge with L2 tuned by inner CV. */
export function train(sources: FeatureSources, task: FoldTask): Promise<FoldResult> {
  return trainPooledLinear("min", sources, task);
}
