import { describe, it, expect } from "vitest";
import { Progress, fmtSecs, type ProgressSink } from "../../src/util/progress.js";

function sink(tty: boolean): ProgressSink & { out: string[]; t: number } {
  const s = { tty, out: [] as string[], t: 0, logEverySecs: 60, write: (x: string) => s.out.push(x), now: () => s.t };
  return s;
}

describe("Progress", () => {
  it("without a TTY: silent for a short run, then one plain line a minute with rate and ETA", () => {
    const s = sink(false);
    const p = new Progress("features train", 1000, "rows", s);
    for (let i = 1; i <= 100; i++) {
      s.t = i * 500; // 100 updates over 50 s
      p.update(i);
    }
    expect(s.out).toEqual([]);
    s.t = 60_000;
    p.update(120, "900 tok/s");
    s.t = 61_000;
    p.update(125);
    expect(s.out).toEqual(["features train: 120/1000 rows (12.0%) 2.0 rows/s ETA 7m20s 900 tok/s\n"]);
    s.t = 120_000;
    p.update(1000); // finished: no line, the command's own summary follows
    p.done();
    expect(s.out).toHaveLength(1);
  });

  it("on a TTY: redrawn in place at most four times a second", () => {
    const s = sink(true);
    const p = new Progress("oof", 25, "fold jobs", s);
    s.t = 100;
    p.update(1);
    s.t = 200;
    p.update(2);
    s.t = 400;
    p.update(3);
    p.done();
    expect(s.out).toEqual(["\r\x1b[Koof: 1/25 fold jobs (4.0%) 10.0 fold jobs/s ETA 2s", "\r\x1b[Koof: 3/25 fold jobs (12.0%) 7.5 fold jobs/s ETA 3s", "\r\x1b[K"]);
  });

  it("formats durations", () => {
    expect([fmtSecs(5), fmtSecs(440), fmtSecs(7300), fmtSecs(Infinity)]).toEqual(["5s", "7m20s", "2h02m", "?"]);
  });
});
