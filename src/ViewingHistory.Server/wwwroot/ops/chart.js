// Small time-series charts drawn as inline SVG: no library, and nothing the CSP would have to allow.

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 80;
const PAD = 4;

function el(name, attrs) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * Draws series (each { values: (number|null)[], className }) into an <svg>, scaled to the largest value shown.
 * Gaps (null) break the line rather than pretending a zero.
 */
export function draw(svg, series, { capacity }) {
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.replaceChildren();
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v))));
  const x = (i) => PAD + ((WIDTH - 2 * PAD) * i) / Math.max(1, capacity - 1);
  const y = (v) => HEIGHT - PAD - ((HEIGHT - 2 * PAD) * v) / max;
  svg.append(el('line', { x1: 0, x2: WIDTH, y1: HEIGHT - PAD, y2: HEIGHT - PAD, class: 'axis' }));
  for (const s of series) {
    const offset = capacity - s.values.length;
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      // A zero-length segment after each move draws a dot (round caps), so a lone reading is visible too.
      d += `${pen ? 'L' : 'M'}${x(i + offset).toFixed(1)},${y(v).toFixed(1)}${pen ? '' : 'l0,0'}`;
      pen = true;
    });
    if (d) svg.append(el('path', { d, class: `line ${s.className}`, 'vector-effect': 'non-scaling-stroke' }));
  }
  svg.dataset.max = String(max);
}
