import { main, parseCommand } from "../src/cli.js";
import { runOof, oofTable } from "../src/oof/run.js";
import { lockRunDir } from "../src/util/lock.js";
import { queueUrl } from "../src/queue/connection.js";
import { withQueue } from "../src/queue/runners.js";

main(async () => {
  const { cfg, argv } = await parseCommand("oof", "Features (reused when cached), then K-fold training of every head: OOF and test predictions, scores.");
  await lockRunDir(cfg.out, { wait: argv.wait === true });
  const r = await withQueue(queueUrl(argv.queue), cfg, (run) => runOof(cfg, run));
  process.stdout.write(oofTable(r) + "\n");
  process.stderr.write(`heads trained in ${r.trainSeconds.toFixed(1)} s wall; outputs in ${cfg.out}\n`);
});
