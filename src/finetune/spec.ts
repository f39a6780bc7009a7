/** What one fine-tuned head's graph is built for: the backbone's trained layers, the pooling head, the task. */
import type { HeadName, Task } from "../models/names.js";
import type { TrainableStack } from "../families/types.js";

export interface FinetuneSpec {
  H: number;
  numHeads: number;
  inter: number;
  /** trained layers k */
  layers: number;
  /** the family's layers (src/families/) */
  stack: TrainableStack;
  /** LayerNorm epsilon of the backbone */
  eps: number;
  C: number;
  task: Task;
  pooling: HeadName;
  /** weightedLayer: number of frozen per-layer vectors fed in; otherwise 0 */
  frozenLayers: number;
  /** weightedLayer: [CLS] vectors or masked means of the layers */
  layerSource: "cls" | "mean";
  training: boolean;
}
