/** Where progress goes and how often; the defaults are stderr and the wall clock. */
export interface ProgressSink {
  tty: boolean;
  write: (s: string) => void;
  /** milliseconds */
  now: () => number;
  /** Without a TTY, one plain line per this many seconds, the first after as long. */
  logEverySecs: number;
}

const STDERR: ProgressSink = {
  tty: process.stderr.isTTY === true,
  write: (s) => process.stderr.write(s),
  now: () => performance.now(),
  logEverySecs: Number(process.env.POOLBLEND_LOG_EVERY ?? 60),
};

/**
 * Progress lines (rows, rate, ETA) on stderr: redrawn in place on a TTY; in a log or a notebook
 * cell (no TTY) one plain line a minute, so short runs and CI output stay clean while an hour-long
 * run still says how far it is.
 */
export class Progress {
  private readonly t0: number;
  private last = -Infinity;
  private lastLog: number;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = "rows",
    private readonly sink: ProgressSink = STDERR,
  ) {
    this.t0 = sink.now();
    this.lastLog = this.t0;
  }

  /**
   * `done` of `total`; `extra` is appended (e.g. tokens/s). `etaSecs` replaces the rate-based ETA
   * when the caller knows better (units of very unequal cost).
   */
  update(done: number, extra = "", etaSecs?: number): void {
    const now = this.sink.now();
    if (this.sink.tty) {
      if (now - this.last < 250 && done < this.total) return;
      this.last = now;
      this.sink.write(`\r\x1b[K${this.line(done, now, extra, etaSecs)}`);
    } else if (now - this.lastLog >= this.sink.logEverySecs * 1000 && done < this.total) {
      this.lastLog = now;
      this.sink.write(`${this.line(done, now, extra, etaSecs)}\n`);
    }
  }

  private line(done: number, now: number, extra: string, etaSecs?: number): string {
    const secs = (now - this.t0) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const eta = etaSecs ?? (rate > 0 ? (this.total - done) / rate : Infinity);
    const pct = this.total > 0 ? ((100 * done) / this.total).toFixed(1) : "100";
    return `${this.label}: ${done}/${this.total} ${this.unit} (${pct}%) ${rate < 1 ? rate.toFixed(3) : rate.toFixed(1)} ${this.unit}/s ETA ${fmtSecs(eta)}${extra ? " " + extra : ""}`;
  }

  done(): void {
    if (this.sink.tty) this.sink.write("\r\x1b[K");
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
