/**
 * The pretrained weights of the top k layers, from the model folder's `weights.safetensors`, in
 * the fine-tuning graph's layout, as the backbone's family module maps them.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../io/safetensors.js";
import { WEIGHTS_FILE } from "../backbone/prepareModel.js";
import { readModelConfig } from "../families/registry.js";
import { encoderTensors } from "../families/weights.js";
import type { EncoderConfig, TrainableStack } from "../families/types.js";
import { UserError } from "../util/errors.js";
import { cachedLayer } from "./options.js";

/** The backbone's config and trainable stack, and its layers L − k .. L − 1 as the stack's parameters (bottom first). */
export function loadTopLayers(modelDir: string, k: number): { cfg: EncoderConfig; stack: TrainableStack; params: Map<string, Float32Array> } {
  const file = join(modelDir, WEIGHTS_FILE);
  const cfgFile = join(modelDir, "config.json");
  for (const f of [file, cfgFile]) if (!existsSync(f)) throw new UserError(`${f}: not found; the fine-tuned heads need the model's weights (prepare the model from a checkpoint folder: README "Bring your own model")`);
  const { family, cfg } = readModelConfig(cfgFile);
  const first = cachedLayer(cfg.numLayers, k);
  const stack = family.trainable(cfg);
  // only the tensors the stack reads, under any of the family's prefixes (or none)
  const keep = (name: string): boolean => family.prefixes.concat("").some((p) => name.startsWith(p) && stack.reads(name.slice(p.length), first));
  const { get } = encoderTensors(family, readSafetensors(file, keep), file);
  return { cfg, stack, params: stack.pretrained(get, first, k) };
}
