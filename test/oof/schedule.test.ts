import { describe, it, expect } from "vitest";
import { JobClock, type PlannedJob } from "../../src/oof/schedule.js";

const jobs = (model: string, n: number, prior: number): PlannedJob[] => Array.from({ length: n }, (_, f) => ({ id: `${model}-${f}`, model, prior }));

describe("the OOF stage's ETA", () => {
  it("replays the queue on the workers: 2 slow jobs then 20 quick ones on 2 workers", () => {
    const c = new JobClock([...jobs("attention-ft", 2, 600), ...jobs("mean", 20, 3)], 2);
    c.started("attention-ft-0", 0);
    c.started("attention-ft-1", 0);
    // both slow jobs run for 600 s, then the 20 quick ones take 30 s on two workers
    expect(c.eta(0)).toBeCloseTo(630, 6);
    expect(c.eta(100_000)).toBeCloseTo(530, 6);
  });

  it("rescales a model's estimates by its own finished jobs, and others by the median correction", () => {
    const c = new JobClock([...jobs("mean", 3, 10), ...jobs("max", 2, 10)], 1);
    c.started("mean-0", 0);
    c.finished("mean-0", 40); // mean takes 4× its prior
    expect(c.estimate("mean", 10)).toBe(40);
    expect(c.estimate("max", 10)).toBe(40); // no max job finished yet: borrows mean's correction
    c.started("max-0", 40_000);
    c.finished("max-0", 5);
    expect(c.estimate("max", 10)).toBe(5);
    // queue: mean-1, mean-2 (40 s each), max-1 (5 s) on one worker
    expect(c.eta(45_000)).toBeCloseTo(85, 6);
  });

  it("a job running far past its estimate is named; a running job never counts as done", () => {
    const c = new JobClock(jobs("min-ft", 2, 20), 1);
    c.started("min-ft-0", 0);
    expect(c.overdue(30_000)).toEqual([]);
    const late = c.overdue(120_000);
    expect(late).toEqual([{ id: "min-ft-0", elapsed: 120, estimate: 20 }]);
    // overdue: it still needs at least a second, and the queued job its 20 s
    expect(c.eta(120_000)).toBeCloseTo(21, 6);
  });
});
