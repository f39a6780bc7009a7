/**
 * An error caused by the user's input or environment (bad file, bad config), as opposed to a bug.
 * Pipelines print only `message` for these — one line naming file, row and column — and exit 2.
 */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(message: string) {
    super(message);
  }
}

/** Where in a file a problem sits. Rows are 1-based physical CSV records, the header being row 1. */
export interface Place {
  file: string;
  row?: number;
  column?: string;
}

/** Builds the one-line message `file:row, column "col": what`. */
export function placeError(place: Place, what: string): UserError {
  let where = place.file;
  if (place.row !== undefined) where += `: row ${place.row}`;
  if (place.column !== undefined) where += `${place.row !== undefined ? "," : ":"} column "${place.column}"`;
  return new UserError(`${where}: ${what}`);
}

/** Turns any thrown value into a process exit: one line for user errors, a stack for bugs. */
export function exitOnError(err: unknown): never {
  if (err instanceof UserError) {
    process.stderr.write(`poolblend: ${err.message}\n`);
    process.exit(2);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS" || code === "ENOSPC" || code === "EDQUOT" || code === "ENOTDIR") {
    const why = code === "ENOSPC" || code === "EDQUOT" ? "disk full" : "not writable";
    process.stderr.write(`poolblend: ${why}: ${e.message} (finished outputs are intact; free space or fix permissions and rerun to resume)\n`);
    process.exit(3);
  }
  process.stderr.write(`poolblend: internal error: ${e.stack ?? e.message}\n`);
  process.exit(1);
}
