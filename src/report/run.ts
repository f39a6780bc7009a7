/** `npm run report`: runs/<name>/report.html from a finished run. */
import { join } from "node:path";
import type { Config } from "../config.js";
import type { Prepared } from "../oof/run.js";
import { writeFileAtomic } from "../io/atomic.js";
import { gatherReport } from "./data.js";
import { renderReport } from "./html.js";

/** `prepared`: the validated inputs when the caller already has them (blend, demo), so the CSVs are not read twice. */
export function writeReport(cfg: Config, prepared?: Prepared): string {
  const file = join(cfg.out, "report.html");
  writeFileAtomic(file, renderReport(gatherReport(cfg, prepared)));
  return file;
}
