/** Head name → trainer. Heads are loaded lazily so a worker only imports what it runs. */
import type { HeadName } from "../config.js";
import type { HeadTrainer } from "./types.js";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../util/hash.js";

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

/**
 * Fingerprint of the heads' code (every file in src/heads/ and what they train with), so that
 * cached fold results are recomputed whenever training changes — no version to remember to bump.
 */
export function headsFingerprint(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const files = [...readdirSync(here).map((f) => join(here, f)), join(here, "../util/linalg.ts"), join(here, "../validation/folds.ts")].filter((f) => f.endsWith(".ts")).sort();
  return sha256(files.map((f) => readFileSync(f, "utf8")).join("\0")).slice(0, 16);
}
