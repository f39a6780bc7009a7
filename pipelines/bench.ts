import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { main } from "../src/cli.js";
import { PROJECT_ROOT } from "../src/config.js";
import { runBench, benchTable } from "../src/bench/run.js";
import { runFamilyBench, familyBenchTable } from "../src/bench/familyBench.js";
import { SYNTHETIC_FAMILIES, type SyntheticFamily } from "../src/bench/syntheticCheckpoint.js";
import { UserError } from "../src/util/errors.js";

function writeResults(file: string, r: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
}

main(async () => {
  const a = await yargs(hideBin(process.argv))
    .scriptName("npm run bench --")
    .usage("$0 [options]\n\npoolblend's feature pass vs transformers.js on IMDB reviews, heads, blend, scaling. Writes bench/results.json.")
    .option("rows", { type: "number", default: 2000 })
    .option("maxLength", { type: "number", default: 256 })
    .option("threads", { type: "number", default: 2 })
    .option("quick", { type: "boolean", default: false, describe: "smaller scaling sweeps" })
    .option("families", { type: "string", default: "bert,roberta,electra,deberta", describe: "encoder families benchmarked on a 12-layer base-size checkpoint each ('' for none)" })
    .option("familyRows", { type: "number", default: 300 })
    .option("familyMaxLength", { type: "number", default: 128 })
    .option("familiesOnly", { type: "boolean", default: false, describe: "only the per-family rows" })
    .help()
    .version(false)
    .parseAsync();
  const families = a.families.split(",").filter((f) => f !== "") as SyntheticFamily[];
  for (const f of families) if (!SYNTHETIC_FAMILIES.includes(f)) throw new UserError(`--families: unknown family ${f} (${SYNTHETIC_FAMILIES.join(", ")})`);
  const fo = { families, rows: a.familyRows, maxLength: a.familyMaxLength, threads: a.threads, workDir: join(PROJECT_ROOT, ".cache", "bench", "families") };
  if (a.familiesOnly) {
    const rows = await runFamilyBench(fo);
    writeResults(join(PROJECT_ROOT, "bench", "families.json"), { setup: fo, rows });
    process.stdout.write(familyBenchTable(rows, fo) + "\n");
    return;
  }
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
  const rows = families.length ? await runFamilyBench(fo) : [];
  writeResults(join(PROJECT_ROOT, "bench", "results.json"), { ...r, families: { setup: fo, rows } });
  process.stdout.write(benchTable(r) + "\n" + (rows.length ? "\n" + familyBenchTable(rows, fo) + "\n" : ""));
});
