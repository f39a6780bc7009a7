/** The benchmark's competition config: an IMDB competition folder, the given model, the five heads. */
import { join } from "node:path";
import { resolveConfig, PROJECT_ROOT, type Config } from "../config.js";
import { FINETUNE_DEFAULTS } from "../finetune/options.js";

export function benchConfig(dir: string, name: string, maxLength: number, threads: number, model = join(PROJECT_ROOT, "models/minilm-l6")): Config {
  return resolveConfig(
    {
      name,
      data: { dir: join(dir, "data"), id: "id", text: ["text"], target: ["label"], group: null },
      task: "binary",
      metric: "auc",
      folds: { k: 5, seed: 42 },
      backbone: { model, maxLength, batchTokens: 2048, threads, chunkRows: 1024 },
      heads: ["mean", "max", "min", "weightedLayer", "attention"],
      headOptions: { weightedLayer: { layerStart: 4, source: "cls" }, workers: 0, seed: 42 },
      finetune: { ...FINETUNE_DEFAULTS },
      blend: { method: "auto", rounds: 100, bags: 0 },
      out: join(dir, "run"),
      submission: join(dir, "submission.csv"),
    },
    join(dir, "bench.config.json"),
  );
}
