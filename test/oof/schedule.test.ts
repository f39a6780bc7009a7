import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { JobClock, type PlannedJob } from "../../src/oof/schedule.js";
import { entry, priorSeconds, type ProblemSize } from "../../src/oof/registry.js";
import type { FinetuneOptions, ModelName } from "../../src/config.js";

const jobs = (model: string, n: number, prior: number, family = model): PlannedJob[] => Array.from({ length: n }, (_, f) => ({ id: `${model}-${f}`, model, family, prior }));

describe("the OOF stage's ETA", () => {
  it("replays the queue on the workers: 2 slow jobs then 20 quick ones on 2 workers", () => {
    const c = new JobClock([...jobs("attention-ft", 2, 600), ...jobs("mean", 20, 3)], 2);
    c.started("attention-ft-0", 0);
    c.started("attention-ft-1", 0);
    // both slow jobs run for 600 s, then the 20 quick ones take 30 s on two workers
    expect(c.eta(0)).toBeCloseTo(630, 6);
    expect(c.eta(100_000)).toBeCloseTo(530, 6);
  });

  it("rescales a family's estimates by the wall time of its latest finished jobs, else by any family's", () => {
    const c = new JobClock([...jobs("mean-ft", 3, 10, "ft"), ...jobs("attention-ft", 2, 20, "ft"), ...jobs("mean", 2, 10)], 1);
    c.started("mean-ft-0", 0);
    c.finished("mean-ft-0", 40_000); // the ft family takes 4× its prior
    expect(c.estimate({ family: "ft", prior: 10 })).toBe(40);
    expect(c.estimate({ family: "mean", prior: 10 })).toBe(40); // nothing of its own finished: any family's
    c.started("attention-ft-0", 40_000);
    c.finished("attention-ft-0", 80_000); // 40 s for a prior of 20
    expect(c.estimate({ family: "ft", prior: 10 })).toBeCloseTo((10 * 80) / 30, 9);
    // queue on one worker: mean-ft-1, mean-ft-2 (prior 10), attention-ft-1 (prior 20), mean-0, mean-1 (prior 10) at 80/30
    expect(c.eta(80_000)).toBeCloseTo((80 / 30) * 60, 6);
  });

  it("only the last two rounds of the pool count: a machine that got slower shows in the next jobs' estimates", () => {
    const c = new JobClock(jobs("min", 8, 10), 2);
    for (let f = 0; f < 4; f++) {
      c.started(`min-${f}`, 0);
      c.finished(`min-${f}`, 10_000); // as estimated
    }
    for (let f = 4; f < 8; f++) {
      c.started(`min-${f}`, 10_000);
      if (f < 7) c.finished(`min-${f}`, 40_000); // 3× slower
    }
    // min-4..6 and min-3 are the latest four: (30 + 30 + 30 + 10) / 40; min-7 has run 30 s of its 25
    expect(c.estimate({ family: "min", prior: 10 })).toBe(25);
    expect(c.eta(40_000)).toBeCloseTo(0.1 * 30, 6);
  });

  it("a running job past its estimate is named, still needs a tenth of its estimate, and slows its family's queued jobs", () => {
    const c = new JobClock([...jobs("min-ft", 2, 20, "ft"), ...jobs("max-ft", 1, 20, "ft"), ...jobs("min", 1, 20)], 1);
    c.started("min-ft-0", 0);
    expect(c.overdue(30_000)).toEqual([]);
    expect(c.overdue(120_000)).toEqual([{ id: "min-ft-0", elapsed: 120, estimate: 20 }]);
    // 120 s into a 20 s estimate: the family runs at least 6× its prior, so min-ft-0 needs 12 s more,
    // min-ft-1 and max-ft-0 120 s each; min (another family, nothing finished) keeps its prior
    expect(c.eta(120_000)).toBeCloseTo(12 + 120 + 120 + 20, 6);
  });
});

/** A real OOF run's fold jobs as the pool ran them (seconds from the first start), and the ETA its progress line showed then. */
interface RecordedRun {
  about: string;
  size: ProblemSize;
  finetune: Pick<FinetuneOptions, "topLayers" | "epochs" | "batchRows" | "batchTokens">;
  workers: number;
  /** in the order the pool started them */
  jobs: { model: ModelName; fold: number; start: number; end: number }[];
  /** [seconds, ETA shown] by the estimator of the day, every 10 s */
  shown: [number, number][];
}

const recorded = (name: string): RecordedRun => JSON.parse(readFileSync(new URL(`../fixtures/eta/${name}.json`, import.meta.url), "utf8")) as RecordedRun;

type Point = { t: number; eta: number; truth: number };
const err = (p: Point): number => p.eta / p.truth - 1;
const worstOf = (points: Point[]): Point => points.reduce((w, p) => (Math.abs(err(p)) > Math.abs(err(w)) ? p : w));
const said = (p: Point): string => `at ${p.t} s: ETA ${p.eta.toFixed(0)} s, truth ${p.truth.toFixed(0)} s`;

/**
 * The ETA and the truth at each second from `from` on while at least `until` seconds remain,
 * replaying the run's starts and ends through today's estimator and priors.
 */
function replay(run: RecordedRun, until: number, from = Math.min(...run.jobs.filter((j) => j.model.endsWith("-ft")).map((j) => j.end))): Point[] {
  const id = (j: { model: string; fold: number }): string => `${j.model}-${j.fold}`;
  const clock = new JobClock(run.jobs.map((j) => ({ id: id(j), model: j.model, family: entry(j.model), prior: priorSeconds(j.model, run.size, run.finetune) })), run.workers);
  // ends before starts at the same instant: the pool hands the freed worker its next job
  const events = [...run.jobs.map((j) => ({ t: j.end, end: true, id: id(j) })), ...run.jobs.map((j) => ({ t: j.start, end: false, id: id(j) }))].sort((a, b) => a.t - b.t || Number(b.end) - Number(a.end));
  const T = Math.max(...run.jobs.map((j) => j.end));
  const out: Point[] = [];
  let k = 0;
  for (let t = Math.ceil(from); T - t >= until; t++) {
    for (; k < events.length && events[k].t <= t; k++) (events[k].end ? clock.finished : clock.started).call(clock, events[k].id, events[k].t * 1000);
    out.push({ t, eta: clock.eta(t * 1000), truth: T - t });
  }
  return out;
}

/** The run again with each job lasting `seconds(job)`: the pool hands the jobs, in its order, to the first free worker. */
function repacked(run: RecordedRun, seconds: (j: RecordedRun["jobs"][number]) => number): RecordedRun {
  const free = new Array<number>(run.workers).fill(0);
  const jobs = run.jobs.map((j) => {
    const w = free.indexOf(Math.min(...free));
    const start = free[w];
    free[w] = start + seconds(j);
    return { ...j, start, end: free[w] };
  });
  return { ...run, jobs };
}

/** When the (workers + 1)-th fine-tuned job ended: from then on a second round of them has been measured. */
const secondRound = (run: RecordedRun): number => run.jobs.filter((j) => j.model.endsWith("-ft")).map((j) => j.end).sort((a, b) => a - b)[run.workers];

describe("the ETA on real runs with fine-tuned heads, replayed", () => {
  // near the end a few seconds are a large fraction of what remains, so every second is checked while at least a minute does
  const LAST = 60;
  // The machine these ran on was shared with other jobs, so its speed changed under them. In the
  // president run the first two -ft jobs took 269 and 272 s (3.1× their prior), the eight after
  // them 153-275 s, 217 s on average: until the third ends (502 s) every estimate of the remaining
  // work rests on the first two, and is 240 s too long, +25% at 270 s, +32% at 500 s as the truth
  // shrinks. No job ends in between, so no estimate built from finished jobs can know earlier.
  const firstRound: Record<string, number> = { "sotu-president": 0.35, "imdb-2000": 0.3 };
  for (const name of ["sotu-president", "imdb-2000"]) {
    it(`${name}: within ±30% of the truth at 25, 50 and 75% of the run and every second once a second round of fine-tuned jobs has ended, ±${firstRound[name] * 100}% from the first one on`, () => {
      const run = recorded(name);
      const points = replay(run, LAST);
      expect(points.length).toBeGreaterThan(300);
      const T = points[0].t + points[0].truth;
      const at = (f: number): Point => points.find((p) => p.t >= f * T)!;
      for (const f of [0.25, 0.5, 0.75]) expect(Math.abs(err(at(f))), `${f * 100}%: ${said(at(f))}`).toBeLessThanOrEqual(0.3);
      const later = worstOf(points.filter((p) => p.t >= secondRound(run)));
      expect(Math.abs(err(later)), `worst ${said(later)}`).toBeLessThanOrEqual(0.3);
      const worst = worstOf(points);
      expect(Math.abs(err(worst)), `worst ${said(worst)}`).toBeLessThanOrEqual(firstRound[name]);
    });

    // the same jobs on a steady machine: what is left is the estimator's own error (priors across
    // families, remainders of running jobs), since the packing on the workers is the pool's in both
    it(`${name} with the machine's drift taken out (each model's jobs lasting their mean in the run): within ±20% every second from the first finished fine-tuned job on`, () => {
      const run = recorded(name);
      const mean = new Map<string, number>();
      for (const m of new Set(run.jobs.map((j) => j.model))) {
        const own = run.jobs.filter((j) => j.model === m);
        mean.set(m, own.reduce((a, j) => a + j.end - j.start, 0) / own.length);
      }
      const points = replay(repacked(run, (j) => mean.get(j.model)!), LAST);
      expect(points.length).toBeGreaterThan(300);
      const worst = worstOf(points);
      expect(Math.abs(err(worst)), `worst ${said(worst)}`).toBeLessThanOrEqual(0.2);
    });

    it(`${name}: the ETA is a finite number of seconds, never negative, at every second from the start to the end`, () => {
      const run = recorded(name);
      const points = replay(run, -1, 0);
      expect(points.length).toBeGreaterThan(400);
      for (const p of points) expect(Number.isFinite(p.eta) && p.eta >= 0, said(p)).toBe(true);
      expect(points.at(-1)!.eta).toBe(0);
    });
  }

  it("the estimator of the day, as the sotu-president run showed it every 10 s, was off by more than 30% over the same stretch", () => {
    const run = recorded("sotu-president");
    const points = replay(run, LAST);
    const T = points[0].t + points[0].truth;
    const off = run.shown.filter(([t]) => t >= points[0].t && T - t >= LAST).map(([t, eta]) => eta / (T - t) - 1);
    expect(off.length).toBeGreaterThan(50);
    expect(Math.max(...off)).toBeGreaterThan(0.3);
  });
});
