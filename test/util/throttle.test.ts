import { describe, it, expect } from "vitest";
import { throttled } from "../../src/util/throttle.js";

describe("throttled", () => {
  it("passes the first value, drops the rest within the interval, and always passes what `always` lets through", () => {
    const sent: number[] = [];
    // an interval no run outlasts: only the first value and the ones `always` lets through
    const f = throttled((x: number) => sent.push(x), Number.POSITIVE_INFINITY, (x) => x >= 1);
    for (const x of [0.1, 0.2, 0.5, 0.9, 1]) f(x);
    expect(sent).toEqual([0.1, 1]);
  });

  it("an interval of 0 drops nothing", () => {
    const sent: number[] = [];
    const f = throttled((x: number) => sent.push(x), 0);
    for (const x of [1, 2, 3]) f(x);
    expect(sent).toEqual([1, 2, 3]);
  });
});
