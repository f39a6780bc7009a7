import { main, parseCommand } from "../src/cli.js";
import { runFeatures } from "../src/features/run.js";
import { lockRunDir } from "../src/util/lock.js";
import { queueUrl } from "../src/queue/connection.js";
import { Coordinator } from "../src/queue/coordinator.js";
import { queueChunkRunner } from "../src/queue/features.js";

main(async () => {
  const { cfg, argv } = await parseCommand("features", "One backbone pass over train+test; writes the feature arrays to runs/<name>/features/ (README \"Outputs\").");
  await lockRunDir(cfg.out, { wait: argv.wait === true });
  const url = queueUrl(argv.queue);
  const coordinator = url ? await Coordinator.connect(url, cfg.out) : undefined;
  try {
    await runFeatures(cfg, coordinator ? { chunkRunner: queueChunkRunner(coordinator, cfg.out) } : {});
  } finally {
    await coordinator?.close();
  }
});
