/**
 * The diversity report: one self-contained HTML file (inline CSS and SVG, no scripts, no
 * network) that opens from disk. Every colour has its number or label next to it.
 */
import type { ReportData } from "./data.js";

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const f = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : "–");

/** Blue (−1) → white (0) → red (+1), for correlation cells. */
function corrColour(r: number): string {
  const t = Math.max(-1, Math.min(1, r));
  const a = Math.abs(t);
  const [R, G, B] = t >= 0 ? [255, Math.round(255 - 150 * a), Math.round(255 - 170 * a)] : [Math.round(255 - 170 * a), Math.round(255 - 110 * a), 255];
  return `rgb(${R},${G},${B})`;
}

function heatmap(title: string, names: string[], m: number[][]): string {
  const head = names.map((n) => `<th scope="col">${esc(n)}</th>`).join("");
  const rows = m.map((row, i) => `<tr><th scope="row">${esc(names[i])}</th>${row.map((v) => `<td style="background:${corrColour(v)}">${f(v, 3)}</td>`).join("")}</tr>`).join("");
  return `<figure><figcaption>${esc(title)}</figcaption><div class="scroll"><table class="heat"><thead><tr><th></th>${head}</tr></thead><tbody>${rows}</tbody></table></div></figure>`;
}

/** Horizontal bars with the value printed at the end of each bar. */
function bars(items: { label: string; value: number; note?: string; strong?: boolean }[], fmt: (v: number) => string, lo?: number): string {
  if (!items.length) return "";
  const vals = items.map((i) => i.value);
  const min = lo ?? Math.min(...vals), max = Math.max(...vals);
  const span = max - min || 1;
  const W = 720, rowH = 26, labelW = 300, barMax = W - labelW - 150;
  const body = items
    .map((it, k) => {
      const w = Math.max(2, ((it.value - min) / span) * barMax * 0.9 + barMax * 0.1);
      const y = k * rowH;
      return `<g transform="translate(0,${y})"><text x="${labelW - 8}" y="17" text-anchor="end" class="${it.strong ? "strong" : ""}">${esc(it.label)}</text><rect x="${labelW}" y="4" width="${w.toFixed(1)}" height="18" class="${it.strong ? "bar strong" : "bar"}"></rect><text x="${(labelW + w + 6).toFixed(1)}" y="17">${fmt(it.value)}${it.note ? " " + esc(it.note) : ""}</text></g>`;
    })
    .join("");
  return `<svg viewBox="0 0 ${W} ${items.length * rowH + 4}" role="img" class="chart">${body}</svg>`;
}

/** CV per head with one dot per fold on a shared axis. */
function foldDots(d: ReportData): string {
  const all = d.heads.flatMap((h) => [h.cv, ...h.folds]);
  const lo = Math.min(...all), hi = Math.max(...all);
  const span = hi - lo || 1;
  const W = 640, rowH = 30, x0 = 150, x1 = W - 90;
  const X = (v: number): number => x0 + ((v - lo) / span) * (x1 - x0);
  const rows = d.heads
    .map((h, k) => {
      const y = k * rowH + 15;
      const dots = h.folds.map((v, i) => `<circle cx="${X(v).toFixed(1)}" cy="${y}" r="4" class="dot"><title>fold ${i}: ${f(v)}</title></circle>`).join("");
      return `<text x="${x0 - 10}" y="${y + 4}" text-anchor="end">${esc(h.name)}</text><line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" class="axis"></line>${dots}<line x1="${X(h.cv).toFixed(1)}" x2="${X(h.cv).toFixed(1)}" y1="${y - 9}" y2="${y + 9}" class="cv"></line><text x="${x1 + 8}" y="${y + 4}">${f(h.cv)}</text>`;
    })
    .join("");
  return `<svg viewBox="0 0 ${W} ${d.heads.length * rowH + 24}" role="img" class="chart">${rows}<text x="${x0}" y="${d.heads.length * rowH + 18}" class="muted">${f(lo)}</text><text x="${x1}" y="${d.heads.length * rowH + 18}" text-anchor="end" class="muted">${f(hi)}</text></svg>`;
}

function weightsText(w: ReportData["blends"][number]["weights"]): string {
  return Object.entries(w)
    .map(([k, v]) => (typeof v === "number" ? (v > 0.0005 ? `${esc(k)} ${f(v, 3)}` : "") : `<b>${esc(k)}</b>: ${weightsText(v)}`))
    .filter(Boolean)
    .join(", ");
}

const STYLE = `<style>
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:980px;padding:16px;color:#1d2330;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #dde;padding-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:4px 8px;border:1px solid #dde;text-align:left;vertical-align:top}
td{font-variant-numeric:tabular-nums}.heat td{text-align:center;min-width:4.5em}
.scroll{overflow-x:auto;max-width:100%}.chart{width:100%;max-width:720px;height:auto;font-size:13px}
.bar{fill:#7a8fb8}.bar.strong{fill:#c8553d}.strong{font-weight:600}.dot{fill:#5b6f9a;opacity:.8}.cv{stroke:#c8553d;stroke-width:3}.axis{stroke:#ccd}
.muted{color:#667;fill:#667}.good{color:#17703a}.bad{color:#a3261b}.tok{padding:1px 2px;border-radius:3px;line-height:1.9}
.example{border:1px solid #dde;border-radius:6px;padding:6px 10px;margin:8px 0}figure{margin:0 0 1em}figcaption{font-weight:600;margin-bottom:4px}
.grid{display:flex;flex-direction:column;gap:8px}
</style>`;

/** One row per head: CV score, fold mean ± sd, per-fold scores, training time. */
function headTableRows(d: ReportData): string {
  return d.heads
    .map((h) => {
      const m = h.folds.reduce((a, b) => a + b, 0) / h.folds.length;
      const sd = Math.sqrt(h.folds.reduce((a, b) => a + (b - m) ** 2, 0) / h.folds.length);
      return `<tr><th scope="row">${esc(h.name)}</th><td>${f(h.cv)}</td><td>${f(m)} ± ${f(sd)}</td><td>${h.folds.map((x) => f(x)).join(" · ")}</td><td>${h.seconds.toFixed(1)} s</td></tr>`;
    })
    .join("");
}

/** weightedLayer's learned layer weights, mean over folds (the folds' values in the note). */
function layerWeightBars(d: ReportData): { label: string; value: number; note: string }[] {
  return d.layerWeights
    ? d.layerWeights.perFold[0]
        .map((_, l) => {
          const vals = d.layerWeights!.perFold.map((w) => w[l]);
          const m = vals.reduce((a, b) => a + b, 0) / vals.length;
          return { label: `layer ${d.layerWeights!.layerStart + l}`, value: m, note: `(folds: ${vals.map((v) => v.toFixed(2)).join(", ")})` };
        })
    : [];
}

/** The attention head's example rows, tokens shaded by their weight. */
function attentionExamples(d: ReportData): string {
  return d.attentionExamples
    .map((e) => {
      const mx = Math.max(...e.tokens.map((t) => t.weight), 1e-9);
      const top = [...e.tokens].sort((a, b) => b.weight - a.weight).slice(0, 5);
      const spans = e.tokens.map((t) => `<span class="tok" style="background:rgba(220,80,30,${(t.weight / mx).toFixed(3)})" title="${f(t.weight, 4)}">${esc(t.text)}</span>`).join(" ");
      return `<div class="example"><div class="muted">row id ${esc(e.id)} — top tokens: ${top.map((t) => `<b>${esc(t.text)}</b> ${f(t.weight, 3)}`).join(", ")}</div><p>${spans}</p></div>`;
    })
    .join("");
}

export function renderReport(d: ReportData): string {
  const names = d.heads.map((h) => h.name);
  const dir = d.greater ? "higher is better" : "lower is better";
  const headRows = headTableRows(d);
  const pairRows = [...d.pairs]
    .sort((a, b) => b.gain - a.gain)
    .map((p) => `<tr><td>${esc(p.a)} + ${esc(p.b)}</td><td>${f(p.weight, 2)} / ${f(1 - p.weight, 2)}</td><td>${f(p.score)}</td><td class="${p.gain > 0 ? "good" : "muted"}">${p.gain > 0 ? "+" : ""}${f(p.gain)}</td></tr>`)
    .join("");
  const blendBars = d.blends.flatMap((b) => [
    { label: `${b.method}${b.chosen ? " (submitted)" : ""} · OOF`, value: b.oofScore, strong: b.chosen },
    { label: `${b.method} · nested-CV`, value: b.nestedScore, strong: b.chosen },
  ]);
  if (d.bestSingle) blendBars.push({ label: `best single: ${d.bestSingle.name}`, value: d.bestSingle.cv, strong: false });
  const blendRows = d.blends.map((b) => `<tr><th scope="row">${esc(b.method)}${b.chosen ? " ✔ submitted" : ""}</th><td>${f(b.oofScore)}</td><td>${f(b.nestedScore)}</td><td>${weightsText(b.weights)}</td></tr>`).join("");
  const claimed = ["attention", "weightedLayer", "mean", "max", "min"].filter((h) => names.includes(h));
  const folkRows = claimed
    .map((h, i) => {
      const m = d.folklore.measured.indexOf(h) + 1;
      return `<tr><th scope="row">${esc(h)}</th><td>${i + 1}</td><td class="${m === i + 1 ? "good" : "bad"}">${m}${m === i + 1 ? " ✔" : " ✘"}</td><td>${f(d.heads.find((x) => x.name === h)!.cv)}</td></tr>`;
    })
    .join("");
  const twinRows = d.twins.map((w) => `<tr><th scope="row">${esc(w.head)}</th><td>${f(w.frozen)}</td><td>${f(w.finetuned)}</td><td class="${w.gain > 0 ? "good" : "bad"}">${w.gain > 0 ? "+" : ""}${f(w.gain)}</td><td>${f(w.errCorr, 3)}</td></tr>`).join("");
  const ablationRows = d.ablations.map((a) => `<tr><th scope="row">without ${esc(a.without)}</th><td>${f(a.oofScore)}</td><td>${f(a.nestedScore)}</td></tr>`).join("");
  const claimsOf = (c: ReportData["folklore"], suffix: string): string => c.claims.map((x) => `<li class="${x.holds ? "good" : "bad"}">${x.holds ? "✔ holds" : "✘ does not hold"}: ${esc(x.better + suffix)} ${d.greater ? ">" : "<"} ${esc(x.worse + suffix)}</li>`).join("");
  const claims = claimsOf(d.folklore, "");
  const lw = layerWeightBars(d);
  const examples = attentionExamples(d);
  const timeBars = bars(d.times.filter((t) => t.seconds > 0).map((t) => ({ label: t.stage, value: t.seconds })), (v) => `${v.toFixed(2)} s`, 0);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>poolblend report — ${esc(d.name)}</title>
${STYLE}</head><body>
<h1>poolblend report — ${esc(d.name)}</h1>
<p class="muted">${esc(d.task)} · metric ${esc(d.metric)} (${dir}) · ${d.rows} train rows, ${d.testRows} test rows · ${d.k}-fold CV</p>

<h2 id="heads">Heads: CV score and fold spread</h2>
<div class="scroll"><table><thead><tr><th>head</th><th>CV ${esc(d.metric)}</th><th>folds mean ± sd</th><th>per fold</th><th>training time</th></tr></thead><tbody>${headRows}</tbody></table></div>
${foldDots(d)}
<p class="muted">Dots: one per fold; red bar: the CV score over all OOF rows.</p>

<h2 id="diversity">Diversity</h2>
<div class="grid">${heatmap("Correlation of OOF predictions", names, d.predCorr)}${heatmap("Correlation of OOF errors", names, d.errCorr)}</div>
<p class="muted">Lower error correlation means the heads make different mistakes — that is what blending feeds on.</p>
<h3>Blended two by two</h3>
<div class="scroll"><table><thead><tr><th>pair</th><th>best weights</th><th>${esc(d.metric)}</th><th>gain over the better one</th></tr></thead><tbody>${pairRows}</tbody></table></div>

<h2 id="blend">The blend</h2>
<div class="scroll"><table><thead><tr><th>method</th><th>OOF (in-sample)</th><th>nested-CV</th><th>weights</th></tr></thead><tbody>${blendRows}</tbody></table></div>
${d.chosenBy ? `<p>Submitted: ${esc(d.chosenBy)}.</p>` : ""}
${bars(blendBars, (v) => f(v))}
<p class="muted">The nested-CV score fits the blend on K−1 folds and scores the held-out fold: the number to trust.</p>
${ablationRows ? `<h3>What each family adds</h3><p class="muted">The submitted method fitted again without a family of models, scored the same way.</p><div class="scroll"><table><thead><tr><th>blend</th><th>OOF (in-sample)</th><th>nested-CV</th></tr></thead><tbody>${ablationRows}</tbody></table></div>` : ""}

${twinRows ? `<h2 id="finetuned">Frozen vs fine-tuned</h2><p class="muted">Each pooling head on the frozen backbone next to its twin trained with the top layers (<code>-ft</code>). A low error correlation means the twins also blend well.</p><div class="scroll"><table><thead><tr><th>head</th><th>frozen CV</th><th>fine-tuned CV</th><th>gain</th><th>error correlation</th></tr></thead><tbody>${twinRows}</tbody></table></div>` : ""}

<h2 id="folklore">The folklore check</h2>
<p>Claimed: attention &gt; weightedLayer &gt; mean &gt; max &gt; min. ${d.folklore.holdsAll ? '<b class="good">It holds on this data.</b>' : '<b class="bad">It does not fully hold on this data.</b>'}</p>
<div class="scroll"><table><thead><tr><th>head</th><th>claimed rank</th><th>measured rank</th><th>CV ${esc(d.metric)}</th></tr></thead><tbody>${folkRows}</tbody></table></div>
<ul>${claims}</ul>
${d.folkloreFinetuned ? `<p>The same claims on the fine-tuned heads: ${d.folkloreFinetuned.holdsAll ? '<b class="good">they hold.</b>' : '<b class="bad">they do not fully hold.</b>'}</p><ul>${claimsOf(d.folkloreFinetuned, "-ft")}</ul>` : ""}
<p class="muted">Only the pooling heads (and their fine-tuned twins) take part in this check; the other models do not.</p>

<h2 id="inside">Inside the heads</h2>
${d.layerWeights ? `<figure><figcaption>weightedLayer: learned layer weights (mean over folds, normalised by their sum)</figcaption>${bars(lw, (v) => v.toFixed(3), Math.min(0, ...lw.map((x) => x.value)))}</figure>` : ""}
${examples ? `<figure><figcaption>attention: the tokens it weighs most (darker = more weight; hover for the value)</figcaption>${examples}</figure>` : ""}

<h2 id="times">Times per stage</h2>
${timeBars}
</body></html>
`;
}
