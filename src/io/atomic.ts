import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync, existsSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";
import { checkpoint } from "../util/faults.js";

let counter = 0;
/** Tells apart processes of other machines writing into the same shared folder (a PID is unique on one machine only). */
const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString("hex")}`;

/** A unique temporary path beside `path`, so that the final rename stays on one file system. */
export function tempPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${PROCESS_TAG}.${counter}.tmp`);
}

/**
 * Writes a whole file so that readers see either the old content or the new, never a half:
 * write to a temp file, fsync, rename over the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "w");
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  checkpoint("rename");
  checkpoint(`rename:${basename(path)}`);
  renameSync(tmp, path);
}

/** fsync a directory so that a rename inside it survives a crash. */
export function fsyncDir(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    const fd = openSync(dir, "r");
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // some file systems refuse to fsync a directory; the rename is still atomic
  }
}
