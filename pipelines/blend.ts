import { main, parseCommand } from "../src/cli.js";
import { oofTable } from "../src/oof/run.js";
import { runBlend, blendTable } from "../src/ensemble/run.js";
import { lockRunDir } from "../src/util/lock.js";
import { writeReport } from "../src/report/run.js";
import { queueUrl } from "../src/queue/connection.js";
import { withQueue } from "../src/queue/runners.js";

main(async () => {
  const { cfg, argv } = await parseCommand("blend", "Blend weights on OOF (own heads plus --oof/--test files), nested-CV score, submission CSV.", (y) =>
    y.option("oof", { type: "string", array: true, default: [], describe: "external OOF predictions (id, prediction columns); repeatable" }).option("test", { type: "string", array: true, default: [], describe: "the matching test predictions; repeatable, same order as --oof" }),
  );
  await lockRunDir(cfg.out, { wait: argv.wait === true });
  const b = await withQueue(queueUrl(argv.queue), cfg, (run) => runBlend(cfg, { oof: argv.oof as string[], test: argv.test as string[] }, run));
  process.stdout.write(oofTable(b.oof) + "\n\n" + blendTable(b) + "\n");
  process.stderr.write(`submission: ${b.submission}\nreport: ${writeReport(cfg, b.oof.prepared)}\n`);
});
