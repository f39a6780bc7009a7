import { describe, it, expect } from "vitest";
import { WorkerPool, runPool } from "../../src/util/workerPool.js";
import { UserError } from "../../src/util/errors.js";

const ECHO = new URL("../fixtures/echoWorker.ts", import.meta.url);
type In = { x: number; fail?: "user" | "bug" | "crash"; waitMs?: number; spin?: boolean; notes?: number };
type Out = { y: number; thread: number };

describe("WorkerPool", () => {
  it("overlapping calls spread over the workers and each gets its own answer", async () => {
    const pool = await WorkerPool.start<In, Out>(ECHO, 3);
    try {
      const outs = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.call({ x: i, waitMs: 20 })));
      expect(outs.map((o) => o.y)).toEqual(Array.from({ length: 12 }, (_, i) => 2 * i));
      expect(new Set(outs.map((o) => o.thread)).size).toBe(3);
    } finally {
      await pool.close();
    }
  });

  it("a worker's notes during a call reach that call's listener, in order, before its answer; a caller that does not listen gets its answer all the same", async () => {
    const pool = await WorkerPool.start<In, Out>(ECHO, 2);
    try {
      const heard: unknown[][] = [[], []];
      const [a, b, c] = await Promise.all([
        pool.call({ x: 10, notes: 3, waitMs: 20 }, [], (n) => heard[0].push(n)),
        pool.call({ x: 20, notes: 2, waitMs: 20 }, [], (n) => heard[1].push(n)),
        pool.call({ x: 30, notes: 4 }),
      ]);
      expect([a.y, b.y, c.y]).toEqual([20, 40, 60]);
      expect(heard).toEqual([[10, 11, 12], [20, 21]]);
    } finally {
      await pool.close();
    }
  });

  it("a user error in a worker comes back as a one-line UserError; a bug keeps its stack", async () => {
    const pool = await WorkerPool.start<In, Out>(ECHO, 1);
    try {
      const e1 = await pool.call({ x: 7, fail: "user" }).catch((e: unknown) => e);
      expect(e1).toBeInstanceOf(UserError);
      expect((e1 as Error).message).toBe('data.csv: row 7, column "text": bad');
      const e2 = await pool.call({ x: 1, fail: "bug" }).catch((e: unknown) => e);
      expect(e2).not.toBeInstanceOf(UserError);
      expect((e2 as Error).message).toMatch(/boom[\s\S]*echoWorker/);
      // the worker survives a failed call
      expect((await pool.call({ x: 4 })).y).toBe(8);
    } finally {
      await pool.close();
    }
  });

  it("a thread that dies fails its call and every call waiting for it, instead of hanging", async () => {
    const pool = await WorkerPool.start<In, Out>(ECHO, 1);
    try {
      const calls = [pool.call({ x: 1, fail: "crash" }), pool.call({ x: 2 }), pool.call({ x: 3 })].map((p) => p.then(() => "ok", (e: Error) => e.message));
      expect(await Promise.all(calls)).toEqual(["thread died", "thread died", "thread died"]);
      await expect(pool.call({ x: 4 })).rejects.toThrow("thread died");
    } finally {
      await pool.close();
    }
  });
});

describe("closing a pool with busy workers", () => {
  it("asks them to stop at their next check and waits for them, instead of killing a thread mid-call", async () => {
    const pool = await WorkerPool.start<In, Out>(ECHO, 2);
    const busy = [pool.call({ x: 1, spin: true }), pool.call({ x: 2, spin: true })].map((p) => p.then(() => "finished", (e: Error) => e.message));
    await new Promise((r) => setTimeout(r, 100));
    await pool.close();
    expect(await Promise.all(busy)).toEqual([expect.stringMatching(/^Cancelled: cancelled: the worker pool is closing/), expect.stringMatching(/^Cancelled: cancelled: the worker pool is closing/)]);
  });
});

describe("runPool", () => {
  it("runs every job once and stops at the first failure", async () => {
    const seen: string[] = [];
    await runPool<In, Out>(ECHO, 2, Array.from({ length: 6 }, (_, i) => ({ id: `j${i}`, input: { x: i } })), (id, o) => seen.push(`${id}=${o.y}`));
    expect(seen.sort()).toEqual(["j0=0", "j1=2", "j2=4", "j3=6", "j4=8", "j5=10"]);
    const jobs = [{ id: "bad", input: { x: 3, fail: "user" as const } }, ...Array.from({ length: 20 }, (_, i) => ({ id: `k${i}`, input: { x: i, waitMs: 10 } }))];
    const done: string[] = [];
    await expect(runPool<In, Out>(ECHO, 1, jobs, (id) => done.push(id))).rejects.toBeInstanceOf(UserError);
    expect(done).toEqual([]);
  });

  it("an error of the parent's own result handling keeps its errno (disk full stays disk full)", async () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const e = await runPool<In, Out>(ECHO, 2, [{ id: "a", input: { x: 1 } }, { id: "b", input: { x: 2 } }], () => {
      throw full;
    }).catch((x: unknown) => x);
    expect(e).toBe(full);
  });
});
