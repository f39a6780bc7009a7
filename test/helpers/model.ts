/** Shared test fixtures: the real default model, loaded once per test file. */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/config.js";
import { Backbone } from "../../src/backbone/backbone.js";
import { prepareDefaultModel, locateWeights } from "../../src/backbone/prepareModel.js";

export const MODEL_DIR = join(PROJECT_ROOT, "models", "minilm-l6");

/** The default model folder, built if no command has built it yet (the tests' global set-up does). */
export function ensureModel(): string {
  prepareDefaultModel(MODEL_DIR);
  return MODEL_DIR;
}

export async function loadBackbone(maxLength = 128): Promise<Backbone> {
  return Backbone.load(ensureModel(), maxLength, 2);
}

export function weightsDir(): string {
  return locateWeights();
}
