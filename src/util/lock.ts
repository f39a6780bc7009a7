import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "./errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the run folder's lock so that a second poolblend on the same folder stops with a clear
 * message instead of interleaving writes. A lock left by a killed process is taken over.
 */
export function lockRunDir(dir: string): () => void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(`${dir}: cannot create the run folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const file = join(dir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = (): void => {
        try {
          if (readFileSync(file, "utf8") === String(process.pid)) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
      process.once("exit", release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(file, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new UserError(`${dir}: another poolblend run (pid ${pid}) is using this run folder; wait for it to finish or stop it`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new UserError(`${file}: could not take the run lock`);
}
