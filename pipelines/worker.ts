/** `npx poolblend worker --queue URL`: runs feature chunks and fold jobs from the queue that `features` / `oof` / `blend` / `demo --queue URL` fill. */
import { resolve } from "node:path";
import { availableParallelism } from "node:os";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { main } from "../src/cli.js";
import { queueUrl, connectionFor } from "../src/queue/connection.js";
import { runQueueWorker } from "../src/queue/worker.js";
import { UserError } from "../src/util/errors.js";
import type { PathMap } from "../src/queue/foldJobs.js";

main(async () => {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("npx poolblend worker")
    .usage("$0 --queue redis://HOST:PORT [options]\n\nRuns feature chunks and fold jobs from the queue that `npm run oof -- --queue URL` (also features, blend, demo) fills, on this machine, until stopped (Ctrl-C: finish the running jobs; twice: stop now, they go back to the queue).")
    .option("queue", { type: "string", describe: "redis://[:PASSWORD@]HOST:PORT or rediss:// (TLS); default $POOLBLEND_QUEUE" })
    .option("concurrency", { type: "number", default: availableParallelism(), describe: "fold jobs run at once (one thread each); feature chunks run one at a time on all cores" })
    .option("root", { type: "string", default: ".", describe: "run folders must lie inside this folder; a job naming another path is rejected" })
    .option("map", { type: "string", array: true, default: [], describe: "COORDINATOR_PATH=WORKER_PATH: where the shared storage the coordinator sees at COORDINATOR_PATH is mounted here; repeatable" })
    .strict()
    .check((a) => {
      for (const k of ["queue", "concurrency", "root"] as const) if (Array.isArray(a[k])) throw new UserError(`worker: --${k} given more than once`);
      return true;
    })
    .help()
    .version(false)
    .parseAsync();
  const url = queueUrl(argv.queue);
  if (!url) throw new UserError("worker: --queue redis://HOST:PORT is required (or set POOLBLEND_QUEUE)");
  connectionFor(url); // a malformed URL stops here with a message
  const concurrency = argv.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserError(`worker: --concurrency ${String(concurrency)}: expected a whole number ≥ 1`);
  const maps: PathMap[] = (argv.map as string[]).map((m) => {
    const i = m.indexOf("=");
    if (i <= 0 || i === m.length - 1) throw new UserError(`worker: --map ${m}: expected COORDINATOR_PATH=WORKER_PATH`);
    return { from: resolve(m.slice(0, i)), to: resolve(m.slice(i + 1)) };
  });
  await runQueueWorker({ url, concurrency, root: resolve(argv.root), maps });
});
