import { main, parseCommand } from "../src/cli.js";
import { runFeatures } from "../src/features/run.js";
import { lockRunDir } from "../src/util/lock.js";

main(async () => {
  const { cfg } = await parseCommand("features", "One backbone pass over train+test; writes runs/<name>/features/ (contract section 4).");
  lockRunDir(cfg.out);
  await runFeatures(cfg);
});
