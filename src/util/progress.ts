/**
 * Progress lines on stderr (rows, rate, ETA), redrawn in place when stderr is a TTY and silent
 * otherwise, so logs and CI output stay clean.
 */
export class Progress {
  private readonly t0 = performance.now();
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = "rows",
  ) {}

  /** `done` of `total`; `extra` is appended (e.g. tokens/s). */
  update(done: number, extra = ""): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.last < 250 && done < this.total) return;
    this.last = now;
    const secs = (now - this.t0) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const pct = this.total > 0 ? ((100 * done) / this.total).toFixed(1) : "100";
    process.stderr.write(`\r\x1b[K${this.label}: ${done}/${this.total} ${this.unit} (${pct}%) ${rate.toFixed(1)} ${this.unit}/s ETA ${fmtSecs(eta)}${extra ? " " + extra : ""}`);
  }

  done(): void {
    if (this.tty) process.stderr.write("\r\x1b[K");
  }

  elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

export function fmtSecs(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Log line on stderr, always. */
export function info(msg: string): void {
  process.stderr.write(msg + "\n");
}
