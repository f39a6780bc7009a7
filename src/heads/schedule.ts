/** Kept so that heads/sgd.ts keeps working until its importers move: the schedule lives in src/optim/schedule.ts. */
export { lrFactor, type Schedule } from "../optim/schedule.js";
