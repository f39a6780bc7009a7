/**
 * The mean pooling head. Masked mean of the last hidden state over the valid tokens ([CLS] and [SEP] included).
 * The backbone graph computes this reduction in ONNX (src/backbone/encoderGraph.ts); `pool` is the same math
 * on one row's token states, the definition the graph is tested against.
 */
import type { FeatureSources, FoldTask, FoldResult } from "./types.js";
import { maskedReduce, trainPooledLinear } from "./pooledLinear.js";

/** mean-pools one row's T valid token vectors ([T × H]). */
export function pool(tokens: ArrayLike<number>, T: number, H: number): Float64Array {
  return maskedReduce(tokens, T, H, 0, (a, v) => a + v, (a, n) => a / n);
}

/** Standardised mean-pooled vector → logistic / softmax / ridge with L2 tuned by inner CV. */
export function train(sources: FeatureSources, task: FoldTask): Promise<FoldResult> {
  return trainPooledLinear("mean", sources, task);
}
