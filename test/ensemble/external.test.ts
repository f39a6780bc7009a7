/**
 * Other models' OOF/test files (`--oof A.csv --test A_test.csv`): joined by id as strings, in the
 * competition's row order, and every mismatch is a one-line error naming file, row and column.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadExternal } from "../../src/ensemble/external.js";
import { thrown } from "../helpers/thrown.js";

const dir = mkdtempSync(join(tmpdir(), "external-"));
let count = 0;

function csv(text: string, name = `f${count++}.csv`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const TRAIN = ["007", "1e5", "b"];
const TEST = ["t1", "t2"];

describe("external models", () => {
  it("rows follow the competition's id order, ids compared as exact strings, columns by name", () => {
    // "100000" equals 1e5 as a number but is another id: one row too many
    const oof = csv("p,key,q\n0.25,b,9\n0.5,007,8\n -1.5 ,1e5,7\n0,100000,6\n");
    expect(thrown(() => loadExternal([oof], [csv("id,q,p\nt1,1,2\nt2,3,4\n")], "key", TRAIN, TEST, ["q", "p"]))).toBe(`${oof}: row 5, column "key": id "100000" is not in the train set (OOF)`);
    const ok = csv("p,key,q\n0.25,b,9\n0.5,007,8\n -1.5 ,1e5,7\n", "lgbm.csv");
    const [m] = loadExternal([ok], [csv("id,q,p\nt2,3,4\nt1,1,2\n")], "key", TRAIN, TEST, ["q", "p"]);
    expect(m.name).toBe("ext:lgbm");
    expect(Array.from(m.oof)).toEqual([8, 0.5, 7, -1.5, 9, 0.25]);
    // the id column falls back to "id" when the configured one is absent
    expect(Array.from(m.test)).toEqual([1, 2, 3, 4]);
  });

  it("names: file name without .csv (any case), a prime per repeat", () => {
    const a = csv("id,p\n007,1\n1e5,2\nb,3\n", "m.CSV");
    const t = csv("id,p\nt1,1\nt2,2\n");
    const names = loadExternal([a, a, a], [t, t, t], "id", TRAIN, TEST, ["p"]).map((m) => m.name);
    expect(names).toEqual(["ext:m", "ext:m'", "ext:m''"]);
  });

  it("no files, no models; unpaired files are an error", () => {
    expect(loadExternal([], [], "id", TRAIN, TEST, ["p"])).toEqual([]);
    const a = csv("id,p\n007,1\n");
    expect(thrown(() => loadExternal([a, a], [a], "id", TRAIN, TEST, ["p"]))).toBe("--oof and --test come in pairs: got 2 --oof and 1 --test");
  });

  it("errors name file, row and column", () => {
    const t = csv("id,p\nt1,1\nt2,2\n");
    const load = (text: string) => {
      const f = csv(text);
      return { f, msg: thrown(() => loadExternal([f], [t], "key", TRAIN, TEST, ["p"])) };
    };
    let r = load("row,p\n007,1\n");
    expect(r.msg).toBe(`${r.f}: row 1, column "key": id column not found`);
    r = load("id,q\n007,1\n");
    expect(r.msg).toBe(`${r.f}: row 1, column "p": prediction column not found (the train set (OOF) needs columns p)`);
    r = load("id,p\n007,1\nb,2\n007,3\n");
    expect(r.msg).toBe(`${r.f}: row 4, column "id": duplicate id "007"`);
    r = load("id,p\n007,1\nb,2\n");
    expect(r.msg).toBe(`${r.f}: column "id": id "1e5" of the train set (OOF) is missing (2 rows, 3 expected)`);
    r = load("id,p\n007,1\n1e5,  \nb,2\n");
    expect(r.msg).toBe(`${r.f}: row 3, column "p": not a finite number: "  "`);
    r = load("id,p\n007,1\n1e5,2\nb,Infinity\n");
    expect(r.msg).toBe(`${r.f}: row 4, column "p": not a finite number: "Infinity"`);
    r = load("id,p\n007,1\n1e5,2\nb,0x\n");
    expect(r.msg).toBe(`${r.f}: row 4, column "p": not a finite number: "0x"`);
    r = load("id,p\nzz,0\n007,1\n1e5,2\nb,3\n");
    expect(r.msg).toBe(`${r.f}: row 2, column "id": id "zz" is not in the train set (OOF)`);
    const o = csv("id,p\n007,1\n1e5,2\nb,3\n");
    const bad = csv("id,p\nt1,1\n");
    expect(thrown(() => loadExternal([o], [bad], "id", TRAIN, TEST, ["p"]))).toBe(`${bad}: column "id": id "t2" of the test set is missing (1 rows, 2 expected)`);
  });
});
