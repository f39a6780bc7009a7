import { main, parseCommand } from "../src/cli.js";
import { writeReport } from "../src/report/run.js";

main(async () => {
  const { cfg } = await parseCommand("report", "Writes runs/<name>/report.html (self-contained) from a finished oof/blend run.");
  process.stderr.write(`report: ${writeReport(cfg)}\n`);
});
