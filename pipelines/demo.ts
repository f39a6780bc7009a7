/** The whole job on the bundled default competition: features → oof → blend → submission, offline. */
import { join } from "node:path";
import { main, parseCommand } from "../src/cli.js";
import { oofTable } from "../src/oof/run.js";
import { runBlend, blendTable } from "../src/ensemble/run.js";
import { holdoutScore } from "../src/ensemble/holdout.js";
import { lockRunDir } from "../src/util/lock.js";
import { writeReport } from "../src/report/run.js";
import { PROJECT_ROOT } from "../src/config.js";
import { queueUrl } from "../src/queue/connection.js";
import { withQueue } from "../src/queue/runners.js";

main(async () => {
  if (!process.argv.includes("--config")) process.argv.push("--config", join(PROJECT_ROOT, "ensemble.config.json"));
  const { cfg, argv } = await parseCommand("demo", "features → oof → blend → submission on the bundled UCI sentiment competition: the five pooling heads, their fine-tuned twins (one layer, two epochs: README \"The demo\") and tfidf.");
  await lockRunDir(cfg.out, { wait: argv.wait === true });
  const t0 = performance.now();
  const b = await withQueue(queueUrl(argv.queue), cfg, (run) => runBlend(cfg, undefined, run));
  const p = b.oof.prepared;
  const lines = [oofTable(b.oof), "", blendTable(b), ""];
  const hidden = holdoutScore(cfg, p.targets, p.test.ids, b.chosen.test);
  if (hidden !== undefined) {
    lines.push(`hidden test ${cfg.metric}: blend (${b.chosen.method}) ${hidden.toFixed(5)}`);
    const w = Math.max(...cfg.heads.map((h) => h.length));
    for (const h of cfg.heads) lines.push(`hidden test ${cfg.metric}: ${h.padEnd(w)} ${holdoutScore(cfg, p.targets, p.test.ids, b.oof.test[h]!)!.toFixed(5)}`);
  }
  lines.push(`submission: ${b.submission}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  lines.push(`report: ${writeReport(cfg, p)}`);
  process.stdout.write(lines.join("\n") + "\n");
});
