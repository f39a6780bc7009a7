import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { main } from "../src/cli.js";
import { PROJECT_ROOT } from "../src/config.js";
import { runBench, benchTable } from "../src/bench/run.js";

main(async () => {
  const a = await yargs(hideBin(process.argv))
    .scriptName("npm run bench --")
    .usage("$0 [options]\n\npoolblend's feature pass vs transformers.js on IMDB reviews, heads, blend, scaling. Writes bench/results.json.")
    .option("rows", { type: "number", default: 2000 })
    .option("maxLength", { type: "number", default: 256 })
    .option("threads", { type: "number", default: 2 })
    .option("quick", { type: "boolean", default: false, describe: "smaller scaling sweeps" })
    .help()
    .version(false)
    .parseAsync();
  const r = await runBench({
    rows: a.rows,
    maxLength: a.maxLength,
    threads: a.threads,
    scaleRows: a.quick ? [250, 500, 1000] : [1000, 2000, 4000, 8000],
    scaleLengths: [64, 128, 256, 512],
    scaleLengthRows: a.quick ? 250 : 1000,
    tfidfRows: a.quick ? 2000 : 10000,
    workDir: join(PROJECT_ROOT, ".cache", "bench"),
    out: join(PROJECT_ROOT, "bench", "results.json"),
  });
  process.stdout.write(benchTable(r) + "\n");
});
