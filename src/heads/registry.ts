/** Head name → trainer. Heads are loaded lazily so a worker only imports what it runs. */
import type { HeadName } from "../config.js";
import type { HeadTrainer } from "./types.js";

export async function trainerFor(head: HeadName): Promise<HeadTrainer> {
  switch (head) {
    case "mean":
      return (await import("./mean.js")).train;
    case "max":
      return (await import("./max.js")).train;
    case "min":
      return (await import("./min.js")).train;
    case "weightedLayer":
      return (await import("./weightedLayer.js")).train;
    case "attention":
      return (await import("./attention.js")).train;
  }
}

/** Bumped when a head's training changes, so cached fold results are recomputed. */
export const HEADS_VERSION = 1;
