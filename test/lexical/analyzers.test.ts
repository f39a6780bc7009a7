/**
 * The id-emitting analyzers against the readable string analyzers of test/reference/analyzers.ts,
 * on random texts mixing ASCII words, accents, astral letters, Python-only whitespace and
 * punctuation, including texts longer than the analyzers' first buffers: same n-grams in the same order, new terms only when inserting.
 */
import { describe, it, expect } from "vitest";
import { CharWbAnalyzer, WordAnalyzer, type Analyzer } from "../../src/lexical/tokenize.js";
import { charWbNgrams, wordNgrams, wordTokens } from "../reference/analyzers.js";
import { IntVec } from "../../src/lexical/growable.js";
import { mulberry32 } from "../../src/util/random.js";

const PIECES = ["ab", "cd", "a", "é", "x\u0308", "𝔘𝔫", "😀", "_1", "½", "中文", " ", " ", "\u001c", "\u0085", "\u00a0", "\ufeff", ",", "-", "\t", "zz"];

function randomText(r: () => number, pieces: number): string {
  let s = "";
  for (let i = 0; i < pieces; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}

function terms(an: Analyzer, text: string, insert: boolean): string[] {
  const out = new IntVec(4);
  an.analyze(text, insert, out);
  const termOf = an.termOf();
  return Array.from(out.data.subarray(0, out.length), termOf);
}

describe("analyzers emit the reference n-grams", () => {
  it("word n-grams 1..3 on random texts, up to ~1,500 tokens", () => {
    const r = mulberry32(6);
    const an = new WordAnalyzer(1, 3);
    for (let i = 0; i < 60; i++) {
      const text = randomText(r, i === 59 ? 6000 : 1 + Math.floor(r() * 40));
      const want = wordNgrams(wordTokens(text), 1, 3);
      const got = terms(an, text, true);
      // the id stream lists n = 1 first, then 2, then 3, as the reference does
      expect(got).toEqual(want);
    }
  });

  it("char_wb n-grams 2..5 on random texts, up to 6,000 pieces", () => {
    const r = mulberry32(7);
    const an = new CharWbAnalyzer(2, 5);
    for (let i = 0; i < 60; i++) {
      const text = randomText(r, i === 59 ? 6000 : 1 + Math.floor(r() * 40));
      expect(terms(an, text, true)).toEqual(charWbNgrams(text, 2, 5));
    }
  });

  it("without inserting, unseen terms are skipped and seen ones keep their ids", () => {
    const word = new WordAnalyzer(1, 2);
    const out = new IntVec(4);
    word.analyze("aa bb", true, out);
    expect(Array.from(out.data.subarray(0, out.length))).toEqual([0, 1, 2]);
    out.length = 0;
    word.analyze("bb cc aa bb", false, out);
    // bb, aa, bb, then the only known bigram "aa bb"; "bb cc" and "cc aa" hold an unseen token
    expect(Array.from(out.data.subarray(0, out.length))).toEqual([1, 0, 1, 2]);
    expect(word.table.size).toBe(3);
    const char = new CharWbAnalyzer(2, 2);
    out.length = 0;
    char.analyze("ab", true, out);
    out.length = 0;
    char.analyze("abc", false, out);
    expect(Array.from(out.data.subarray(0, out.length), char.termOf())).toEqual([" a", "ab"]);
  });

  it("a padded word no longer than n is one n-gram and ends the word", () => {
    expect(charWbNgrams("ab", 3, 5)).toEqual([" ab", "ab ", " ab "]);
    expect(charWbNgrams("ab", 4, 6)).toEqual([" ab "]);
    expect(charWbNgrams("abc", 2, 3)).toEqual([" a", "ab", "bc", "c ", " ab", "abc", "bc "]);
    expect(charWbNgrams("  ", 1, 2)).toEqual([]);
    expect(wordNgrams(["a", "b"], 1, 5)).toEqual(["a", "b", "a b"]);
    expect(wordNgrams(["a", "b", "c"], 2, 2)).toEqual(["a b", "b c"]);
    expect(wordTokens("ab")).toEqual(["ab"]);
    expect(wordTokens("a")).toEqual([]);
    expect(wordTokens("ab c de")).toEqual(["ab", "de"]);
  });
});
