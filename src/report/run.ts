/** `npm run report`: runs/<name>/report.html from a finished run. */
import { join } from "node:path";
import type { Config } from "../config.js";
import { writeFileAtomic } from "../io/atomic.js";
import { gatherReport } from "./data.js";
import { renderReport } from "./html.js";

export function writeReport(cfg: Config): string {
  const file = join(cfg.out, "report.html");
  writeFileAtomic(file, renderReport(gatherReport(cfg)));
  return file;
}
