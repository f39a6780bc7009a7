import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parseCsv, readCsv, formatCsv, writeCsv, firstInvalidUtf8 } from "../../src/io/csv.js";

const tmp = mkdtempSync(join(tmpdir(), "pb-csv-"));
const file = (name: string, content: string | Buffer): string => {
  const f = join(tmp, name);
  writeFileSync(f, content);
  return f;
};

describe("readCsv", () => {
  it("keeps ids as written and accepts a BOM, CRLF, quotes, newlines, emoji and CJK", () => {
    const f = file("ok.csv", '\ufeffid,text\r\n000123,"a, ""quoted"" text"\r\n1e5,"line1\r\nline2"\r\n12.0,😀 日本語\r\n-0,\tx\r\n');
    const t = readCsv(f);
    expect(t.header).toEqual(["id", "text"]);
    expect(t.rows.map((r) => r[0])).toEqual(["000123", "1e5", "12.0", "-0"]);
    expect(t.rows[0][1]).toBe('a, "quoted" text');
    expect(t.rows[1][1]).toBe("line1\r\nline2");
    expect(t.rows[2][1]).toBe("😀 日本語");
  });

  it.each([
    ["missing.csv", null, /missing\.csv: file not found/],
    ["ragged.csv", "id,text,label\n1,a,0\n2,b\n", /ragged\.csv: row 3, column "label": has 2 fields, header has 3/],
    ["extra.csv", "id,text\n1,a,b\n", /extra\.csv: row 2, column "#3": has 3 fields/],
    ["unterminated.csv", 'id,text\n1,"abc\n2,def\n', /unterminated\.csv: row 2, column "text": unterminated quoted field/],
    ["dupheader.csv", "id,text,id\n1,a,2\n", /dupheader\.csv: row 1, column "id": duplicate column name/],
    ["empty.csv", "", /empty\.csv: file is empty/],
  ])("rejects %s with file, row and column", (name, content, re) => {
    const f = content === null ? join(tmp, name) : file(name, content);
    expect(() => readCsv(f)).toThrow(re);
  });

  it("rejects invalid UTF-8 naming the row and column", () => {
    const f = file("latin1.csv", Buffer.concat([Buffer.from("id,text\n1,ok\n2,caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    expect(() => readCsv(f)).toThrow(/latin1\.csv: row 3, column "text": invalid UTF-8 \(byte offset 18\)/);
  });

  it("finds the first invalid UTF-8 byte", () => {
    expect(firstInvalidUtf8(Buffer.from("héllo 😀"))).toBe(Buffer.from("héllo 😀").length);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
  });
});

describe("writeCsv", () => {
  it("round-trips a file it wrote byte-exact", () => {
    const header = ["id", "text", "p"];
    const rows = [["000123", 'he said "hi", twice', 0.1], ["1e5", "a\nb", 1e-7], ["x,y", "日本 😀", 0.30000000000000004]];
    const f = join(tmp, "rt.csv");
    writeCsv(f, header, rows);
    const bytes = readFileSync(f);
    const t = readCsv(f);
    expect(t.rows.map((r) => r[0])).toEqual(["000123", "1e5", "x,y"]);
    expect(t.rows.map((r) => Number(r[2]))).toEqual([0.1, 1e-7, 0.30000000000000004]);
    writeCsv(f, t.header, t.rows);
    expect(readFileSync(f).equals(bytes)).toBe(true);
  });

  it("refuses NaN and Infinity", () => {
    expect(() => formatCsv(["a"], [[NaN]])).toThrow(/non-finite/);
    expect(() => formatCsv(["a"], [[Infinity]])).toThrow(/non-finite/);
  });

  it("property: any strings round-trip exactly through write → read", () => {
    const field = fc.string({ unit: "grapheme", maxLength: 20 });
    fc.assert(
      fc.property(fc.array(fc.tuple(field, field), { minLength: 1, maxLength: 8 }), (rows) => {
        const text = formatCsv(["id", "text"], rows);
        const t = parseCsv("prop.csv", text);
        expect(t.rows).toEqual(rows.map((r) => [...r]));
      }),
      { numRuns: 300 },
    );
  });
});
