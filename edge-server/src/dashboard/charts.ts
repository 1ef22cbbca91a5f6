/**
 * @module dashboard/charts — Chart.js, registered with only the parts the pages use. Every chart
 * is drawn without animation (a page is readable at once), its canvas named by `data-chart`; the
 * first chart a page draws marks `aisle:first-chart` for the benchmark.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  RadarController,
  RadialLinearScale,
  Tooltip,
} from 'chart.js';
import { h } from './dom';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  RadarController,
  RadialLinearScale,
  Filler,
  Legend,
  Tooltip,
);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, sans-serif';

export const PALETTE = [
  '#2f6fed',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#06b6d4',
  '#84cc16',
  '#f472b6',
  '#64748b',
];

const live = new Set<Chart>();
let marked = false;

/** Destroys the charts of the page being left. */
export function clearCharts() {
  for (const c of live) c.destroy();
  live.clear();
  marked = false;
}

/** Longest axis label drawn; a longer one (a shopper's device named it) is cut, whole in the tooltip. */
const LABEL_CHARS = 40;
const shortLabel = (label: unknown) =>
  typeof label === 'string' && label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;

/** A canvas in a sized box, drawn with `config` once it is in the document. */
export function chart(name: string, config: ChartConfiguration): HTMLElement {
  const labels = config.data.labels;
  if (labels) config.data.labels = labels.map(shortLabel);
  const canvas = h('canvas', { 'data-chart': name, role: 'img', 'aria-label': name });
  const box = h('div', { class: 'chart' }, canvas);
  queueMicrotask(() => {
    const c = new Chart(canvas, config);
    live.add(c);
    canvas.dataset.points = String(config.data.datasets.reduce((n, d) => n + d.data.length, 0));
    canvas.dataset.ready = 'true';
    if (!marked) {
      marked = true;
      performance.mark('aisle:first-chart');
    }
  });
  return box;
}
