// The GradGen gradient dashboard: reads the records of /api/events (Server-Sent Events; schema in docs/dashboard.md)
// and draws, per run, the gradient histograms of the latest step, the gradient-norm curves with the vanishing and
// exploding thresholds, the layer-wise statistics, the loss and accuracy, and the doctor's findings.
"use strict";

// What the page costs the machine it trains on (docs/dashboard.md, "Overhead"): the server sends at most once a second;
// the page redraws at most once a second, in an animation frame (so never while the tab is hidden), and not at all while
// no record arrives; it appends each record's points to the charts' data in place and redraws only the panels whose
// data changed; and it draws at most MAX_POINTS points per curve, a chart's width's worth.
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

// Log axes: a label at each power of ten only, as 1e-6.
const logTicks = { autoSkip: true, callback: v => { const e = Math.log10(v); return Math.abs(e - Math.round(e)) < 1e-9 ? "1e" + Math.round(e) : ""; } };

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

function chartIn(p, config) {
  const box = element("div", "chart");
  const canvas = document.createElement("canvas");
  box.appendChild(canvas);
  p.appendChild(box);
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true }, config.options);
  return new Chart(canvas, config);
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
    this.histChart = chartIn(h, {
      type: "line",
      data: { datasets: this.layers.map((l, i) => ({ label: l.name, data: [], borderColor: depthColour(i, this.layers.length), borderWidth: 1.5, pointRadius: 0, stepped: "middle" })) },
      options: { scales: { x: { type: "logarithmic", ticks: logTicks, title: { display: true, text: "|g|" } }, y: { min: 0, title: { display: true, text: "share of values" } } },
                 plugins: { legend: { display: this.layers.length <= 10 } } },
    });

    const n = panel(panels, "Gradient norms ‖∂L/∂W‖ per layer",
      `Log scale. Dashed: the vanishing (${m.thresholds.vanishing}×) and exploding (${m.thresholds.exploding}×) thresholds, relative to the last layer's norm.` + depthNote);
    const normSets = this.weighted.map((l, i) => ({ label: l.name, data: [], borderColor: depthColour(i, this.weighted.length), borderWidth: 1.5, pointRadius: 0 }));
    normSets.push({ label: "vanishing", data: [], borderColor: "#c0392b", borderDash: [6, 4], borderWidth: 1, pointRadius: 0 });
    normSets.push({ label: "exploding", data: [], borderColor: "#c0392b", borderDash: [2, 3], borderWidth: 1, pointRadius: 0 });
    this.normChart = chartIn(n, {
      type: "line",
      data: { datasets: normSets },
      options: { scales: { x: { type: "linear", title: { display: true, text: "step" } }, y: { type: "logarithmic", ticks: logTicks } },
                 plugins: { legend: { display: legend, labels: { boxWidth: 10 } } } },
    });

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
    this.lossChart = chartIn(l, {
      type: "line",
      data: { datasets: [
        { label: "loss", data: [], borderColor: "#1f5fa8", borderWidth: 1.5, pointRadius: 0, yAxisID: "y" },
        { label: "train accuracy", data: [], borderColor: "#2e8b57", pointRadius: 3, yAxisID: "accuracy" },
        { label: "evaluation accuracy", data: [], borderColor: "#d35400", pointRadius: 3, yAxisID: "accuracy" },
      ] },
      options: { scales: { x: { type: "linear", title: { display: true, text: "step" } }, y: { title: { display: true, text: "loss" } },
                           accuracy: { position: "right", min: 0, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: "accuracy" } } } },
    });

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
    const point = { step: r.step, loss: r.loss, norms: this.weighted.map(l => r.parameters[l.parameters[0]].gradNorm) };
    this.steps.push(point);
    if (this.steps.length > MAX_POINTS) {
      this.steps = this.steps.filter((_, i) => i % 2 === 0);
      this.rebuildStepCurves();
    } else this.appendStepPoints(point);
    this.curvesChanged = true;
  }

  // A step's points, appended to the charts' data in place: the norm of each weighted layer (a log axis: only if
  // positive), the thresholds, which follow the last layer's norm, and the loss.
  appendStepPoints(s) {
    const sets = this.normChart.data.datasets;
    const last = this.weighted.length - 1;
    for (let i = 0; i <= last; i++) if (s.norms[i] > 0) sets[i].data.push({ x: s.step, y: s.norms[i] });
    if (last >= 0 && s.norms[last] > 0) {
      sets[sets.length - 2].data.push({ x: s.step, y: s.norms[last] * this.meta.thresholds.vanishing });
      sets[sets.length - 1].data.push({ x: s.step, y: s.norms[last] * this.meta.thresholds.exploding });
    }
    if (s.loss !== null) this.lossChart.data.datasets[0].data.push({ x: s.step, y: s.loss });
  }

  rebuildStepCurves() {
    for (const set of this.normChart.data.datasets) set.data = [];
    this.lossChart.data.datasets[0].data = [];
    for (const s of this.steps) this.appendStepPoints(s);
  }

  addEpoch(r) {
    this.epochs.push(r);
    const [, train, evaluation] = this.lossChart.data.datasets;
    if (this.epochs.length > MAX_POINTS) {
      this.epochs = this.epochs.filter((_, i) => i % 2 === 0);
      train.data = [];
      evaluation.data = [];
      for (const e of this.epochs) this.appendEpochPoints(e);
    } else this.appendEpochPoints(r);
    if (r.evalName) evaluation.label = r.evalName + " accuracy";
    this.curvesChanged = true;
  }

  appendEpochPoints(e) {
    const [, train, evaluation] = this.lossChart.data.datasets;
    if (e.trainAccuracy !== null) train.data.push({ x: e.step, y: e.trainAccuracy });
    if (e.evalAccuracy !== null && e.evalAccuracy !== undefined) evaluation.data.push({ x: e.step, y: e.evalAccuracy });
  }

  setFindings(r) {
    this.findings = r;
    this.findingsChanged = true;
  }

  render() {
    if (this.curvesChanged) {
      this.curvesChanged = false;
      this.normChart.update("none");
      this.lossChart.update("none");
      this.section.dataset.points = this.normChart.data.datasets[0] ? this.normChart.data.datasets[0].data.length : this.steps.length;
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

  renderHistograms(r) {
    const minExponent = this.meta.histogram.minExponent;
    r.layers.forEach((layer, i) => {
      const set = this.histChart.data.datasets[i];
      const h = layer.hist;
      if (!h) { set.data = []; return; }
      const total = h.zeros + h.counts.reduce((a, b) => a + b, 0);
      // Bin k holds 2^(minExponent + k) ≤ |g| < 2^(minExponent + k + 1): plotted at its geometric centre.
      set.data = h.counts.map((c, k) => ({ x: Math.pow(2, minExponent + h.first + k + 0.5), y: c / total }));
      set.label = h.zeros > 0 ? `${this.layers[i].name} (${formatPercent(h.zeros / total)} zeros)` : this.layers[i].name;
    });
    this.histChart.update("none");
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
    view.histChart.destroy(); view.normChart.destroy(); view.lossChart.destroy();
  }
  runs.clear();
  runsElement.replaceChildren();
}

const events = new EventSource("/api/events");
events.addEventListener("reset", reset);
events.onmessage = e => onRecord(JSON.parse(e.data));
events.onopen = () => { statusElement.textContent = "connected: updates as training runs"; };
events.onerror = () => { statusElement.textContent = "disconnected: the training process has ended or stopped serving (retrying)"; };
