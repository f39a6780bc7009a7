/** Kept so existing importers keep working: the training pieces now live in modules named for them. */
export { trainAdam, type GradModel, type SgdOptions } from "./adam.js";
export { shuffledLengthBatches } from "./batches.js";
export { carveValidation, earlyStopping, taskLoss } from "./earlyStopping.js";
export { modelTargets, targetMatrix } from "./modelTargets.js";
export { lrFactor, type Schedule } from "./schedule.js";
export { uniformInit } from "../util/random.js";
