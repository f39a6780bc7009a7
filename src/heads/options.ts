/** Options of the weighted-layer head (`headOptions.weightedLayer` in the config), shared with its fine-tuned twin. */
import { isObj, type Checks, type RawConfig } from "../models/checks.js";

export interface WeightedLayerOptions {
  /** the first layer of the weighted sum */
  layerStart: number;
  /** what each layer contributes: its [CLS] state or its mean over the valid tokens */
  source: "cls" | "mean";
}

/** The pooling heads' options as their fold jobs receive them. */
export interface HeadOptions {
  weightedLayer: WeightedLayerOptions;
}

export function parseHeadOptions(config: RawConfig, k: Checks): HeadOptions {
  const ho = isObj(config.headOptions) ? config.headOptions : {};
  const wl = isObj(ho.weightedLayer) ? ho.weightedLayer : {};
  return {
    weightedLayer: {
      layerStart: k.num(wl.layerStart ?? 4, "headOptions.weightedLayer.layerStart", 0),
      source: k.oneOf(wl.source ?? "cls", "headOptions.weightedLayer.source", ["cls", "mean"] as const),
    },
  };
}
