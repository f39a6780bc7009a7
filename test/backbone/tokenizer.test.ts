import { describe, it, expect, beforeAll } from "vitest";
import { join } from "node:path";
import { EncoderTokenizer, truncateLongestFirst } from "../../src/backbone/tokenizer.js";
import { ensureModel } from "../helpers/model.js";

let tok: EncoderTokenizer;
beforeAll(() => {
  tok = new EncoderTokenizer(join(ensureModel(), "tokenizer.json"), 16);
});

describe("EncoderTokenizer", () => {
  it("wraps one text in [CLS] … [SEP]", () => {
    const e = tok.encode(["Hello world"]);
    expect(Array.from(e.ids)).toEqual([101, 7592, 2088, 102]);
    expect(Array.from(e.types)).toEqual([0, 0, 0, 0]);
  });

  it("encodes an empty text as [CLS][SEP]", () => {
    expect(Array.from(tok.encode([""]).ids)).toEqual([101, 102]);
  });

  it("truncates to maxLength and keeps the final [SEP]", () => {
    const e = tok.encode(["one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen"]);
    expect(e.ids.length).toBe(16);
    expect(e.ids[0]).toBe(101);
    expect(e.ids[15]).toBe(102);
  });

  it("encodes two columns as a pair with token types and longest-first truncation", () => {
    const e = tok.encode(["a b c d e f g h i j k l m n o p q r", "yes no"]);
    expect(e.ids.length).toBe(16);
    const seps = Array.from(e.ids).flatMap((id, i) => (id === 102 ? [i] : []));
    expect(seps).toEqual([12, 15]);
    expect(Array.from(e.types)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it("joins three columns with [SEP]", () => {
    const e = tok.encode(["a", "b", "c"]);
    expect(e.ids.length).toBe(7);
    expect(Array.from(e.ids).filter((x) => x === 102).length).toBe(3);
  });

  it("pads a batch and builds the mask", () => {
    const b = tok.padBatch([tok.encode(["hi"]), tok.encode(["hello there friend"])]);
    expect(b.seqLen).toBe(5);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(b.inputIds.subarray(3, 5), Number)).toEqual([0, 0]);
  });

  it("longest-first truncation matches Hugging Face's order of cuts", () => {
    const p = [[1, 2, 3, 4, 5, 6], [7, 8, 9]];
    truncateLongestFirst(p, 6);
    expect(p).toEqual([[1, 2, 3], [7, 8, 9]]);
    const q = [[1, 2, 3, 4], [5, 6, 7, 8]];
    truncateLongestFirst(q, 5);
    expect(q[0].length + q[1].length).toBe(5);
    expect(Math.abs(q[0].length - q[1].length)).toBe(1);
  });
});
