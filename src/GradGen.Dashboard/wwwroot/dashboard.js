// The GradGen gradient dashboard: reads the records of /api/events (Server-Sent Events; schema in docs/dashboard.md)
// and draws, per run, the gradient histograms of the latest step, the gradient-norm curves with the vanishing and
// exploding thresholds, the layer-wise statistics, the loss and accuracy, and the doctor's findings. Charts: uPlot.
"use strict";

// What the page costs the machine it trains on (docs/dashboard.md, "Overhead"): the server sends at most once a second;
// the page redraws at most once a second, in an animation frame (so never while the tab is hidden), and not at all while
// no record arrives; it redraws only the panels whose data changed, each chart once (uPlot's setData on columns built
// from the kept points: a browser showing the live page used 0.044-0.059 of a core with uPlot against 0.065-0.077 with
// Chart.js, docs/dashboard-overhead.md, 14:18); and it draws at most MAX_POINTS points per curve, a chart's width's worth.
const MAX_POINTS = 1000;      // points kept per curve: beyond, every other one is dropped (the server's store does the same)
const RENDER_EVERY_MS = 1000; // the least time between two redraws

const runsElement = document.getElementById("runs");
const statusElement = document.getElementById("status");
const runs = new Map();

// Colour by depth: input side purple, output side yellow.
function depthColour(i, n) {
  const t = n <= 1 ? 0 : i / (n - 1);
  return `hsl(${Math.round(275 - 225 * t)}, 70%, ${Math.round(38 + 12 * t)}%)`;
}

function formatNumber(x) {
  if (x === null || x === undefined) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : x.toPrecision(4);
}

// Log axes: a tick, a grid line and a label at each power of ten only, the label as 1e-6.
function decades(u, axis, min, max) {
  const splits = [];
  if (!(min > 0) || !(max > 0)) return splits;
  const step = Math.max(1, Math.ceil((Math.log10(max) - Math.log10(min)) / 12)); // at most a dozen labels
  for (let e = Math.ceil(Math.log10(min)); e <= Math.floor(Math.log10(max)); e += step) splits.push(Math.pow(10, e));
  return splits;
}

function powersOfTen(u, splits) {
  return splits.map(v => {
    if (v === null || v <= 0) return "";
    const e = Math.log10(v);
    return Math.abs(e - Math.round(e)) < 1e-9 ? "1e" + Math.round(e) : "";
  });
}

function formatPercent(x) {
  return x === null || x === undefined ? "—" : (100 * x).toFixed(1) + "%";
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function panel(parent, title, note) {
  const p = element("div", "panel");
  p.appendChild(element("h3", "", title));
  if (note) p.appendChild(element("p", "note", note));
  parent.appendChild(p);
  return p;
}

// A uPlot chart in panel p: options as uPlot takes them, the legend under the plot when there is one. Its width follows
// the panel's (one ResizeObserver for every chart); its data are set whole at each redraw (setData), which redraws once.
const CHART_HEIGHT = 250;
const resizer = new ResizeObserver(entries => {
  for (const entry of entries) {
    const chart = entry.target.chart;
    if (chart) chart.setSize({ width: Math.max(100, Math.floor(entry.contentRect.width)), height: chart.plotHeight });
  }
});

function chartIn(p, options, series) {
  const box = element("div", "chart");
  p.appendChild(box);
  const legend = options.legend !== false;
  const plotHeight = legend ? CHART_HEIGHT - 40 : CHART_HEIGHT;
  const width = Math.max(100, box.clientWidth || 480);
  const chart = new uPlot(Object.assign({
    width, height: plotHeight,
    legend: { show: legend, live: false },
    cursor: { drag: { x: false, y: false } },
    series: [{}].concat(series),
  }, options, { legend: { show: legend, live: false } }), [[]].concat(series.map(() => [])), box);
  chart.plotHeight = plotHeight;
  box.chart = chart;
  resizer.observe(box);
  return chart;
}

// A series' label, in its legend too (uPlot draws the legend once).
function setLabel(chart, index, label) {
  if (chart.series[index].label === label) return;
  chart.series[index].label = label;
  const entry = chart.root.querySelectorAll(".u-legend .u-series")[index];
  const text = entry && entry.querySelector(".u-label");
  if (text) text.textContent = label;
}

function line(label, colour, extra) {
  return Object.assign({ label, stroke: colour, width: 1.5, points: { show: false }, spanGaps: false }, extra);
}

class RunView {
  constructor(record) {
    this.meta = record;
    this.layers = record.layers;
    // Layers with a weight: the first parameter tensor of the layer is its weight (Dense: weight, then bias).
    this.weighted = record.layers.filter(l => l.parameters.length > 0);
    this.steps = [];   // {step, loss, norms[]} per sampled step, in order: the curves' points
    this.epochs = [];
    this.latest = null;
    this.findings = null;
    // What changed since the last redraw: only those panels are redrawn.
    this.curvesChanged = true;
    this.latestChanged = false;
    this.findingsChanged = true;
    this.build();
  }

  build() {
    const m = this.meta;
    const section = element("section", "run");
    section.dataset.run = m.run;
    section.appendChild(element("h2", "", m.title));
    this.metaLine = element("div", "meta", "waiting for the first sampled step…");
    section.appendChild(this.metaLine);
    const panels = element("div", "panels");
    section.appendChild(panels);
    const legend = this.weighted.length <= 10;
    const depthNote = legend ? "" : " Colour runs from the input (purple) to the output (yellow).";

    const h = panel(panels, "Gradient histograms (latest sampled step)",
      "|∂L/∂output| of each layer by powers of two, as a share of its values; log axis." + depthNote);
    const stepped = uPlot.paths.stepped({ align: 1 });
    this.histChart = chartIn(h, {
      legend: this.layers.length <= 10,
      scales: { x: { time: false, distr: 3, log: 10 }, y: { range: (u, min, max) => [0, Math.max(max, 1e-9) * 1.05] } },
      axes: [{ label: "|g|", splits: decades, values: powersOfTen }, { label: "share of values", size: 55 }],
    }, this.layers.map((l, i) => line(l.name, depthColour(i, this.layers.length), { paths: stepped })));

    const n = panel(panels, "Gradient norms ‖∂L/∂W‖ per layer",
      `Log scale. Dashed: the vanishing (${m.thresholds.vanishing}×) and exploding (${m.thresholds.exploding}×) thresholds, relative to the last layer's norm.` + depthNote);
    const normSeries = this.weighted.map((l, i) => line(l.name, depthColour(i, this.weighted.length)));
    normSeries.push(line("vanishing", "#c0392b", { width: 1, dash: [6, 4] }));
    normSeries.push(line("exploding", "#c0392b", { width: 1, dash: [2, 3] }));
    this.normChart = chartIn(n, {
      legend,
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [{ label: "step" }, { splits: decades, values: powersOfTen, size: 55 }],
    }, normSeries);

    const s = panel(panels, "Layer-wise statistics (latest sampled step)",
      "Gradient at the layer's output: mean, std, max |g|. Output: dead (exactly 0) and saturated shares. Weight: ‖Δw‖/‖w‖ of the last update.");
    const scroll = element("div", "table-scroll");
    this.table = element("table", "stats");
    const head = this.table.createTHead().insertRow();
    for (const title of ["layer", "grad mean", "grad std", "max |g|", "dead", "saturated", "update/weight"]) head.appendChild(element("th", "", title));
    const body = this.table.createTBody();
    this.rows = this.layers.map(l => {
      const row = body.insertRow();
      row.dataset.layer = l.name;
      const name = row.insertCell();
      name.textContent = l.name;
      name.title = l.source;
      const cells = {};
      for (const field of ["grad.mean", "grad.std", "grad.maxAbs", "act.dead", "act.saturated", "updateRatio"]) {
        cells[field] = row.insertCell();
        cells[field].dataset.field = field;
      }
      return cells;
    });
    scroll.appendChild(this.table);
    s.appendChild(scroll);

    const l = panel(panels, "Loss and accuracy", "Loss of each sampled step; accuracy per epoch (right axis).");
    const epochPoints = colour => line(undefined, colour, { scale: "accuracy", points: { show: true, size: 6 }, spanGaps: true });
    this.lossChart = chartIn(l, {
      scales: { x: { time: false }, accuracy: { range: [0, 1] } },
      axes: [{ label: "step" }, { label: "loss", size: 55 }, { scale: "accuracy", side: 1, label: "accuracy", grid: { show: false }, size: 55 }],
    }, [line("loss", "#1f5fa8"), Object.assign(epochPoints("#2e8b57"), { label: "train accuracy" }),
        Object.assign(epochPoints("#d35400"), { label: "evaluation accuracy" })]);

    const f = panel(panels, "Doctor's findings");
    this.findingsList = element("ul", "findings");
    f.appendChild(this.findingsList);
    this.findingsNote = element("p", "empty", "No findings published: no doctor is attached to this run.");
    f.appendChild(this.findingsNote);

    this.section = section;
    runsElement.appendChild(section);
    runsElement.classList.toggle("several", runs.size + 1 > 1);
  }

  addStep(r) {
    const shown = this.steps.length > 0 ? this.steps[this.steps.length - 1].step : -Infinity;
    if (r.step < shown) return; // already on the charts
    this.latest = r;
    this.latestChanged = true;
    // The server sends each send's latest step whole, last: the same step again, now with its histograms.
    if (r.step === shown) return;
    this.steps.push({ step: r.step, loss: r.loss, norms: this.weighted.map(l => r.parameters[l.parameters[0]].gradNorm) });
    if (this.steps.length > MAX_POINTS) this.steps = this.steps.filter((_, i) => i % 2 === 0);
    this.curvesChanged = true;
  }

  addEpoch(r) {
    this.epochs.push(r);
    if (this.epochs.length > MAX_POINTS) this.epochs = this.epochs.filter((_, i) => i % 2 === 0);
    if (r.evalName) this.evalName = r.evalName;
    this.curvesChanged = true;
  }

  // The norm chart's columns: the step, the norm of each weighted layer (a log axis: null unless positive), and the
  // thresholds, which follow the last layer's norm.
  normData() {
    const n = this.steps.length, last = this.weighted.length - 1;
    const columns = [new Float64Array(n)].concat(this.weighted.map(() => new Array(n)), [new Array(n), new Array(n)]);
    const { vanishing, exploding } = this.meta.thresholds;
    this.steps.forEach((s, j) => {
      columns[0][j] = s.step;
      for (let i = 0; i <= last; i++) columns[i + 1][j] = s.norms[i] > 0 ? s.norms[i] : null;
      const end = last >= 0 && s.norms[last] > 0 ? s.norms[last] : null;
      columns[last + 2][j] = end === null ? null : end * vanishing;
      columns[last + 3][j] = end === null ? null : end * exploding;
    });
    return columns;
  }

  // The loss chart's columns: every sampled step's loss and each epoch's accuracies, on the steps of both, in order.
  lossData() {
    const rows = this.steps.map(s => [s.step, s.loss, null, null])
      .concat(this.epochs.map(e => [e.step, null, e.trainAccuracy ?? null, e.evalAccuracy ?? null]))
      .sort((a, b) => a[0] - b[0]);
    return [0, 1, 2, 3].map(c => rows.map(row => row[c]));
  }

  setFindings(r) {
    this.findings = r;
    this.findingsChanged = true;
  }

  render() {
    if (this.curvesChanged) {
      this.curvesChanged = false;
      const norms = this.normData();
      this.normChart.setData(norms);
      if (this.evalName) setLabel(this.lossChart, 3, this.evalName + " accuracy");
      this.lossChart.setData(this.lossData());
      this.section.dataset.points = this.weighted.length > 0 ? norms[1].filter(v => v !== null).length : this.steps.length;
    }
    const r = this.latest;
    if (r && this.latestChanged) {
      this.latestChanged = false;
      this.renderHistograms(r);
      this.renderTable(r);
      this.metaLine.textContent = `step ${r.step} · loss ${formatNumber(r.loss)} · ${this.steps.length} sampled steps on the charts · one step in ${this.meta.sampleEvery} sampled`;
      this.section.dataset.step = r.step;
    }
    if (this.findingsChanged) {
      this.findingsChanged = false;
      this.renderFindings();
    }
  }

  // Bin k of a layer holds 2^(minExponent + first + k) ≤ |g| < 2^(minExponent + first + k + 1): drawn as a step from its
  // lower edge to the next, on one column of edges shared by every layer (null outside a layer's bins).
  renderHistograms(r) {
    const minExponent = this.meta.histogram.minExponent;
    let lo = Infinity, hi = -Infinity;
    for (const layer of r.layers) {
      const h = layer.hist;
      if (!h || h.counts.length === 0) continue;
      lo = Math.min(lo, h.first);
      hi = Math.max(hi, h.first + h.counts.length);
    }
    if (lo > hi) { this.histChart.setData([[]].concat(r.layers.map(() => []))); return; }
    const edges = [];
    for (let k = lo; k <= hi; k++) edges.push(Math.pow(2, minExponent + k));
    const columns = [edges];
    r.layers.forEach((layer, i) => {
      const h = layer.hist, column = new Array(edges.length).fill(null);
      if (h && h.counts.length > 0) {
        const total = h.zeros + h.counts.reduce((a, b) => a + b, 0);
        h.counts.forEach((c, k) => { column[h.first - lo + k] = c / total; });
        column[h.first - lo + h.counts.length] = h.counts[h.counts.length - 1] / total; // the last bin's right edge
      }
      columns.push(column);
      const name = this.layers[i].name;
      setLabel(this.histChart, i + 1, h && h.zeros > 0 ? `${name} (${formatPercent(h.zeros / (h.zeros + h.counts.reduce((a, b) => a + b, 0)))} zeros)` : name);
    });
    this.histChart.setData(columns);
  }

  renderTable(r) {
    this.table.dataset.step = r.step;
    r.layers.forEach((layer, i) => {
      const cells = this.rows[i];
      const weight = this.layers[i].parameters.length > 0 ? r.parameters[this.layers[i].parameters[0]] : null;
      const values = {
        "grad.mean": [layer.grad.mean, formatNumber], "grad.std": [layer.grad.std, formatNumber], "grad.maxAbs": [layer.grad.maxAbs, formatNumber],
        "act.dead": [layer.act.dead, formatPercent], "act.saturated": [this.layers[i].saturates ? layer.act.saturated : null, formatPercent],
        "updateRatio": [weight ? weight.updateRatio : null, formatNumber],
      };
      for (const [field, [value, format]] of Object.entries(values)) {
        cells[field].textContent = format(value);
        // The exact value, as the record has it: what a test or a tool compares.
        cells[field].dataset.value = value === null || value === undefined ? "" : String(value);
      }
    });
  }

  renderFindings() {
    const f = this.findings;
    this.findingsList.replaceChildren();
    this.findingsNote.hidden = f !== null;
    if (f === null) return;
    if (f.findings.length === 0) this.findingsList.appendChild(element("li", "", `No problem found (step ${f.step}).`));
    for (const item of f.findings) {
      const li = element("li", item.severity, `${item.layer ? item.layer + ": " : ""}${item.message} [${item.code}]`);
      this.findingsList.appendChild(li);
    }
  }
}

// Redraws are coalesced: a record schedules one redraw, RENDER_EVERY_MS after the last one (at once if that was
// longer ago), in the next animation frame, which a hidden tab does not get: it redraws when shown again. No timer
// runs while no record arrives. The page counts its redraws in body's data-renders (BrowserTests reads it).
let renderScheduled = false;
let lastRender = -Infinity;
let renders = 0;
function scheduleRender() {
  if (renderScheduled) return;
  renderScheduled = true;
  const wait = Math.max(0, lastRender + RENDER_EVERY_MS - performance.now());
  setTimeout(() => requestAnimationFrame(renderAll), wait);
}

function renderAll() {
  renderScheduled = false;
  lastRender = performance.now();
  for (const view of runs.values()) view.render();
  document.body.dataset.renders = ++renders;
}

function onRecord(r) {
  scheduleRender();
  if (r.type === "run") {
    if (!runs.has(r.run)) runs.set(r.run, new RunView(r));
    return;
  }
  const view = runs.get(r.run);
  if (!view) return;
  if (r.type === "step") view.addStep(r);
  else if (r.type === "epoch") view.addEpoch(r);
  else if (r.type === "findings") view.setFindings(r);
}

function reset() {
  for (const view of runs.values()) {
    for (const chart of [view.histChart, view.normChart, view.lossChart]) { resizer.unobserve(chart.root.parentNode); chart.destroy(); }
  }
  runs.clear();
  runsElement.replaceChildren();
}

const events = new EventSource("/api/events");
events.addEventListener("reset", reset);
events.onmessage = e => onRecord(JSON.parse(e.data));
events.onopen = () => { statusElement.textContent = "connected: updates as training runs"; };
events.onerror = () => { statusElement.textContent = "disconnected: the training process has ended or stopped serving (retrying)"; };
