// The map of the catalogue. Points are written pixel by pixel into an ImageData (100,000 points in
// a few milliseconds, where one canvas call per point takes tens), highlights and labels drawn on
// top. Zoom and pan by wheel, drag, pinch, the buttons and the keys; pointing at a dot names the
// paper, clicking opens it. Data: /map/layout.json (the same for every reader), /map/mine.json.
(() => {
  "use strict";
  const canvas = document.getElementById("map");
  if (!canvas) return;
  const ctx = canvas.getContext("2d");
  const tip = document.getElementById("map-tip");
  const status = document.getElementById("map-status");
  const PALETTE = 12, CELLS = 128;
  let grid = 10000, n = 0, ids = [], px, py, cl, clusters = [], indexOf = new Map();
  let cellStart, cellOrder, bounds = [];
  let view = { s: 1, x: 0, y: 0 }, fitScale = 1;
  let hits = [], mine = [], showMine = true, focus = -1, hover = -1, pending = false;
  const titles = new Map();
  const stats = { draws: 0, lastMs: 0, times: [] };
  window.papertideMap = stats; // read by the browser tests and bench/map.py
  stats.screenOf = (id) => { // where a paper's dot is now, in CSS pixels of the canvas
    const i = indexOf.get(id);
    return i === undefined ? null : [px[i] * view.s + view.x, py[i] * view.s + view.y];
  };

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  function rgb(hex) {
    const h = hex.replace("#", "");
    const v = parseInt(h.length === 3 ? h.split("").map((c) => c + c).join("") : h, 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  function colours(alpha) { // little-endian RGBA words for the ImageData
    const out = new Uint32Array(PALETTE);
    for (let i = 0; i < PALETTE; i++) {
      const [r, g, b] = rgb(css("--map-" + i) || "#888888");
      out[i] = ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
    }
    return out;
  }

  function resize() {
    const r = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    const cx = (w / 2 - view.x) / view.s, cy = (h / 2 - view.y) / view.s; // keep the centre
    canvas.width = Math.max(1, Math.round(w * r));
    canvas.height = Math.max(1, Math.round(h * r));
    const oldFit = fitScale;
    fitScale = (Math.min(w, h) / grid) * 0.94;
    if (!n || view.s === oldFit) return reset();
    view.x = w / 2 - cx * view.s;
    view.y = h / 2 - cy * view.s;
    schedule();
  }
  function reset() {
    focus = -1;
    document.querySelectorAll("[data-cluster]").forEach((o) => o.setAttribute("aria-pressed", "false"));
    fitTo(0, 0, grid, grid);
  }
  function fitTo(x0, y0, x1, y1) {
    const w = canvas.clientWidth, h = canvas.clientHeight, pad = 0.06;
    const s = Math.min(w / Math.max(x1 - x0, 1), h / Math.max(y1 - y0, 1)) * (1 - 2 * pad);
    view.s = Math.min(Math.max(s, fitScale * 0.5), fitScale * 400);
    view.x = w / 2 - ((x0 + x1) / 2) * view.s;
    view.y = h / 2 - ((y0 + y1) / 2) * view.s;
    schedule();
  }
  function zoomAt(factor, sx, sy) {
    const s = Math.min(Math.max(view.s * factor, fitScale * 0.5), fitScale * 400);
    view.x = sx - ((sx - view.x) * s) / view.s;
    view.y = sy - ((sy - view.y) * s) / view.s;
    view.s = s;
    schedule();
  }
  function schedule() {
    if (!pending) { pending = true; requestAnimationFrame(draw); }
  }

  function draw() {
    pending = false;
    if (!n) return;
    const t0 = performance.now();
    const r = window.devicePixelRatio || 1, w = canvas.width, h = canvas.height;
    const image = ctx.createImageData(w, h);
    const pixels = new Uint32Array(image.data.buffer);
    const dimmed = focus >= 0 || hits.length > 0;
    const bright = colours(255), faint = colours(110); // dimmed, still findable on either theme
    const base = n < 2000 ? 4 : n < 20000 ? 3 : 2; // sparse maps get larger dots
    const size = Math.max(1, Math.round(r * (base + (view.s > fitScale * 8 ? 2 : view.s > fitScale * 2 ? 1 : 0))));
    const s = view.s * r, ox = view.x * r, oy = view.y * r;
    for (let i = 0; i < n; i++) {
      const x = (px[i] * s + ox) | 0, y = (py[i] * s + oy) | 0;
      if (x < 0 || y < 0 || x > w - size || y > h - size) continue;
      const c = cl[i] % PALETTE;
      const colour = dimmed && cl[i] !== focus ? faint[c] : bright[c];
      let at = y * w + x;
      for (let dy = 0; dy < size; dy++, at += w) for (let dx = 0; dx < size; dx++) pixels[at + dx] = colour;
    }
    ctx.putImageData(image, 0, 0);
    ctx.save();
    ctx.scale(r, r);
    const ring = (list, colour, radius) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (const i of list) {
        const x = px[i] * view.s + view.x, y = py[i] * view.s + view.y;
        ctx.moveTo(x + radius, y);
        ctx.arc(x, y, radius, 0, Math.PI * 2);
      }
      ctx.stroke();
    };
    if (showMine && mine.length) ring(mine, css("--link"), 6);
    if (hits.length) ring(hits, css("--accent"), 4.5);
    if (hover >= 0) ring([hover], css("--fg"), 8);
    ctx.font = "600 13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.lineJoin = "round";
    ctx.lineWidth = 4;
    ctx.strokeStyle = css("--bg");
    ctx.fillStyle = css("--fg");
    const cw = canvas.clientWidth, ch = canvas.clientHeight, taken = [];
    const order = clusters.map((c, i) => i).sort((a, b) => clusters[b].papers - clusters[a].papers);
    for (const i of order) { // largest regions first; a label that would overlap one drawn is left out
      const c = clusters[i];
      if (!c.papers || (focus >= 0 && i !== focus)) continue;
      const x = c.x * view.s + view.x, y = c.y * view.s + view.y;
      const label = c.phrases.slice(0, view.s > fitScale * 3 ? 2 : 1).join(" · ") || c.label;
      const half = ctx.measureText(label).width / 2 + 4;
      if (x + half < 0 || x - half > cw || y < 0 || y - 16 > ch) continue;
      if (taken.some((t) => x - half < t[2] && x + half > t[0] && y - 16 < t[3] && y + 2 > t[1])) continue;
      taken.push([x - half, y - 16, x + half, y + 2]);
      ctx.strokeText(label, x, y);
      ctx.fillText(label, x, y);
    }
    ctx.restore();
    stats.lastMs = performance.now() - t0;
    stats.times.push(stats.lastMs);
    if (stats.times.length > 200) stats.times.shift();
    stats.draws++;
  }

  function index() { // points bucketed on a CELLS x CELLS grid, for finding the one under the pointer
    const cellOf = (i) => Math.min(CELLS - 1, ((py[i] * CELLS) / grid) | 0) * CELLS + Math.min(CELLS - 1, ((px[i] * CELLS) / grid) | 0);
    const counts = new Int32Array(CELLS * CELLS + 1);
    for (let i = 0; i < n; i++) counts[cellOf(i) + 1]++;
    for (let c = 0; c < CELLS * CELLS; c++) counts[c + 1] += counts[c];
    cellStart = counts.slice();
    cellOrder = new Int32Array(n);
    const fill = counts.slice();
    for (let i = 0; i < n; i++) cellOrder[fill[cellOf(i)]++] = i;
    bounds = clusters.map(() => [grid, grid, 0, 0]);
    for (let i = 0; i < n; i++) {
      const b = bounds[cl[i]];
      if (!b) continue;
      b[0] = Math.min(b[0], px[i]); b[1] = Math.min(b[1], py[i]);
      b[2] = Math.max(b[2], px[i]); b[3] = Math.max(b[3], py[i]);
    }
  }
  function nearest(sx, sy, radiusPx) {
    const gx = (sx - view.x) / view.s, gy = (sy - view.y) / view.s, radius = radiusPx / view.s;
    const c0 = Math.max(0, ((gx - radius) * CELLS / grid) | 0), c1 = Math.min(CELLS - 1, ((gx + radius) * CELLS / grid) | 0);
    const r0 = Math.max(0, ((gy - radius) * CELLS / grid) | 0), r1 = Math.min(CELLS - 1, ((gy + radius) * CELLS / grid) | 0);
    let best = -1, bestD = radius * radius;
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        const cell = row * CELLS + col;
        for (let k = cellStart[cell]; k < cellStart[cell + 1]; k++) {
          const i = cellOrder[k], dx = px[i] - gx, dy = py[i] - gy, d = dx * dx + dy * dy;
          if (d <= bestD && (focus < 0 || cl[i] === focus)) { best = i; bestD = d; }
        }
      }
    }
    return best;
  }

  function addPoints(list) { // papers a page rings that a sampled map was not sent
    const fresh = list.filter((p) => !indexOf.has(p[0]));
    if (!fresh.length) return;
    const m = n + fresh.length, nx = new Float32Array(m), ny = new Float32Array(m), nc = new Uint16Array(m);
    nx.set(px); ny.set(py); nc.set(cl);
    fresh.forEach((p, k) => {
      ids.push(p[0]); indexOf.set(p[0], n + k);
      nx[n + k] = p[1]; ny[n + k] = p[2]; nc[n + k] = p[3];
    });
    px = nx; py = ny; cl = nc; n = m;
    index();
  }

  async function title(id) {
    if (titles.has(id)) return titles.get(id);
    const answer = await fetch("/api/papers/" + id.split("/").map(encodeURIComponent).join("/"), { headers: { Accept: "application/json" } });
    const text = answer.ok ? (await answer.json()).title || id : id;
    titles.set(id, text);
    return text;
  }
  function point(i, sx, sy) {
    if (i === hover) return;
    hover = i;
    canvas.style.cursor = i >= 0 ? "pointer" : "grab";
    schedule();
    if (i < 0) { tip.hidden = true; return; }
    const id = ids[i];
    tip.textContent = id; // text, never markup
    tip.hidden = false;
    tip.style.left = Math.min(sx + 14, canvas.clientWidth - 240) + "px";
    tip.style.top = sy + 14 + "px";
    title(id).then((t) => { if (hover === i) tip.textContent = t + " (" + clusters[cl[i]].phrases.slice(0, 2).join(" · ") + ")"; });
  }
  const open = (i) => { if (i >= 0) window.location.href = "/papers/" + encodeURI(ids[i]); };

  // Pointer: drag pans, a tap or click opens, two fingers pinch.
  const down = new Map();
  let moved = 0, pinch = 0;
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    down.set(e.pointerId, [e.offsetX, e.offsetY]);
    moved = 0;
    if (down.size === 2) { const [a, b] = [...down.values()]; pinch = Math.hypot(a[0] - b[0], a[1] - b[1]); }
  });
  canvas.addEventListener("pointermove", (e) => {
    const last = down.get(e.pointerId);
    if (!last) return point(nearest(e.offsetX, e.offsetY, 8), e.offsetX, e.offsetY);
    down.set(e.pointerId, [e.offsetX, e.offsetY]);
    if (down.size === 2) {
      const [a, b] = [...down.values()], d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      if (pinch) zoomAt(d / pinch, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      pinch = d;
      moved += 10;
      return;
    }
    moved += Math.abs(e.offsetX - last[0]) + Math.abs(e.offsetY - last[1]);
    view.x += e.offsetX - last[0];
    view.y += e.offsetY - last[1];
    schedule();
  });
  const up = (e) => {
    const was = down.get(e.pointerId);
    down.delete(e.pointerId);
    if (down.size < 2) pinch = 0;
    if (was && moved < 5 && e.type === "pointerup") open(nearest(e.offsetX, e.offsetY, 10));
  };
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  canvas.addEventListener("pointerleave", () => { if (!down.size) point(-1, 0, 0); });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.offsetX, e.offsetY);
  }, { passive: false });
  canvas.addEventListener("dblclick", (e) => zoomAt(2, e.offsetX, e.offsetY));

  // Keys: the paper at the centre is the one pointed at.
  canvas.addEventListener("keydown", (e) => {
    const w = canvas.clientWidth, h = canvas.clientHeight, step = 60;
    const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[e.key]) { view.x += moves[e.key][0]; view.y += moves[e.key][1]; }
    else if (e.key === "+" || e.key === "=") zoomAt(1.5, w / 2, h / 2);
    else if (e.key === "-") zoomAt(1 / 1.5, w / 2, h / 2);
    else if (e.key === "0") reset();
    else if (e.key === "Enter") return open(nearest(w / 2, h / 2, Math.max(w, h)));
    else return;
    e.preventDefault();
    schedule();
    point(nearest(w / 2, h / 2, 40), w / 2, h / 2);
  });
  for (const b of document.querySelectorAll("[data-zoom]")) {
    b.addEventListener("click", () => {
      const w = canvas.clientWidth / 2, h = canvas.clientHeight / 2;
      if (b.dataset.zoom === "in") zoomAt(1.6, w, h);
      else if (b.dataset.zoom === "out") zoomAt(1 / 1.6, w, h);
      else reset();
    });
  }
  for (const b of document.querySelectorAll("[data-cluster]")) {
    b.addEventListener("click", () => {
      const c = Number(b.dataset.cluster);
      if (focus === c) return reset();
      const box = bounds[c];
      if (!box) return;
      fitTo(box[0], box[1], box[2], box[3]);
      focus = c;
      document.querySelectorAll("[data-cluster]").forEach((o) => o.setAttribute("aria-pressed", String(o === b)));
    });
  }
  const mineBox = document.getElementById("map-mine");
  if (mineBox) mineBox.addEventListener("change", () => { showMine = mineBox.checked; schedule(); });
  new ResizeObserver(resize).observe(canvas);
  new MutationObserver(schedule).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", schedule);

  async function load() {
    const answer = await fetch(canvas.dataset.layout);
    if (!answer.ok) { status.textContent = "The map could not be loaded (" + answer.status + "); reload to try again."; return; }
    const data = await answer.json();
    grid = data.grid;
    ids = data.ids;
    n = ids.length;
    px = Float32Array.from(data.x);
    py = Float32Array.from(data.y);
    cl = Uint16Array.from(data.cluster);
    clusters = data.clusters;
    ids.forEach((id, i) => indexOf.set(id, i));
    index();
    const wanted = (canvas.dataset.hits || "").split(" ").filter(Boolean);
    const missing = wanted.filter((id) => !indexOf.has(id));
    if (missing.length && data.shown < data.papers) {
      const more = await fetch("/map/points.json?ids=" + encodeURIComponent(missing.join(",")));
      if (more.ok) addPoints((await more.json()).points);
    }
    hits = wanted.filter((id) => indexOf.has(id)).map((id) => indexOf.get(id));
    resize();
    reset();
    const shownNote = data.shown < data.papers ? data.shown + " of " + data.papers + " papers (a sample)" : data.papers + " papers";
    status.textContent = shownNote + (hits.length ? ", " + hits.length + " found by the search ringed" : "");
    canvas.dataset.ready = "true";
    if (canvas.dataset.mine) {
      const mineAnswer = await fetch(canvas.dataset.mine);
      if (mineAnswer.ok) {
        const own = await mineAnswer.json();
        addPoints(own.points);
        mine = [...new Set([...own.saved, ...own.upvoted])].filter((id) => indexOf.has(id)).map((id) => indexOf.get(id));
        schedule();
      }
    }
  }
  load();
})();
