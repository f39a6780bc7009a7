import { main, parseCommand } from "../src/cli.js";
import { runFeatures } from "../src/features/run.js";
import { lockRunDir } from "../src/util/lock.js";
import { queueUrl } from "../src/queue/connection.js";
import { withQueue } from "../src/queue/runners.js";

main(async () => {
  const { cfg, argv } = await parseCommand("features", "One backbone pass over train+test; writes the feature arrays to runs/<name>/features/ (README \"Outputs\").");
  await lockRunDir(cfg.out, { wait: argv.wait === true });
  await withQueue(queueUrl(argv.queue), cfg, ({ chunkRunner }) => runFeatures(cfg, chunkRunner ? { chunkRunner } : {}));
});
