// History and forecast on one uPlot chart: shaded interval bands (widest lightest), drag to
// zoom on time, double-click or "Reset zoom" to see everything, values under the cursor in
// the legend. uPlot draws to canvas, so thousands of points stay smooth.
import { useEffect, useMemo, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { type ChartColumns, toAlignedData } from "../lib/chartData";
import { formatNumber } from "../lib/format";

const HISTORY_COLOR = "#1f4e79";
const FORECAST_COLOR = "#c0392b";
const SCENARIO_COLOR = "#1e8449";
const BAND_ALPHA = [0.14, 0.28, 0.4];
const HEIGHT = 360;
// The y-axis is as wide as its longest tick label (uPlot's fixed default cuts the first digits
// of labels like "22,500.00"): tick + gap + the label's width in the axis font.
const AXIS_FONT = "12px system-ui, sans-serif";
const Y_TICK_SIZE = 10;
const Y_GAP = 5;
const Y_PADDING = 6;

let measuring: CanvasRenderingContext2D | null = null;

function textWidth(text: string): number {
  measuring ??= document.createElement("canvas").getContext("2d");
  if (!measuring) return text.length * 8;
  measuring.font = AXIS_FONT;
  return measuring.measureText(text).width;
}

// What the y-axis shows, on the chart element (`data-y-tick-labels`, `data-y-axis-width`):
// uPlot draws on canvas, so the browser test reads the labels from there.
type YAxisReport = (labels: string[], width: number) => void;

function bandFill(index: number, rgb = "192, 57, 43"): string {
  return `rgba(${rgb}, ${BAND_ALPHA[Math.min(index, BAND_ALPHA.length - 1)]})`;
}

function chartOptions(columns: ChartColumns, width: number, report: YAxisReport): uPlot.Options {
  const value = (_u: uPlot, v: number | null) => (v === null ? "—" : formatNumber(v));
  const edgesOf = (bands: ChartColumns["bands"], prefix = ""): uPlot.Series[] =>
    bands.flatMap((band) => [
      {
        label: `${prefix}${band.level}% lower`,
        stroke: "transparent",
        value,
        points: { show: false },
      },
      {
        label: `${prefix}${band.level}% upper`,
        stroke: "transparent",
        value,
        points: { show: false },
      },
    ]);
  const edges = edgesOf(columns.bands);
  // The scenario's line follows the baseline's series and bands (see `toAlignedData`).
  const scenarioAt = 3 + 2 * columns.bands.length;
  const scenario: uPlot.Series[] = columns.scenario
    ? [
        { label: "Scenario", stroke: SCENARIO_COLOR, width: 2, value },
        ...edgesOf(columns.scenario.bands, "Scenario "),
      ]
    : [];
  const scenarioBands: uPlot.Band[] = (columns.scenario?.bands ?? []).map((_band, i) => ({
    series: [scenarioAt + 2 + 2 * i, scenarioAt + 1 + 2 * i] as [number, number],
    fill: bandFill(i, "30, 132, 73"),
  }));
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    axes: [
      { font: AXIS_FONT },
      {
        font: AXIS_FONT,
        gap: Y_GAP,
        ticks: { size: Y_TICK_SIZE },
        values: (_u, ticks) => ticks.map((t) => formatNumber(t, 2)),
        size: (_u, labels) => {
          const widest = Math.max(0, ...(labels ?? []).map(textWidth));
          const size = Math.ceil(Y_TICK_SIZE + Y_GAP + widest + Y_PADDING);
          report(labels ?? [], size);
          return size;
        },
      },
    ],
    series: [
      {},
      { label: "Actual", stroke: HISTORY_COLOR, width: 1.5, value },
      {
        label: columns.scenario ? "Baseline" : "Forecast",
        stroke: FORECAST_COLOR,
        width: 2,
        dash: [6, 3],
        value,
      },
      ...edges,
      ...scenario,
    ],
    bands: [
      ...columns.bands.map((_band, i) => ({
        series: [4 + 2 * i, 3 + 2 * i] as [number, number],
        fill: bandFill(i),
      })),
      ...scenarioBands,
    ],
  };
}

export function ForecastChart({ columns, title }: { columns: ChartColumns; title: string }) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useMemo(() => toAlignedData(columns), [columns]);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const width = Math.max(element.clientWidth, 300);
    const report: YAxisReport = (labels, size) => {
      element.dataset.yTickLabels = JSON.stringify(labels);
      element.dataset.yAxisWidth = String(size);
    };
    const options = chartOptions(columns, width, report);
    const chart = new uPlot(options, data as uPlot.AlignedData, element);
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(element.clientWidth, 300), height: HEIGHT });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [columns, data]);

  function resetZoom() {
    const chart = plot.current;
    if (chart && columns.x.length > 0) {
      chart.setScale("x", { min: columns.x[0], max: columns.x[columns.x.length - 1] });
    }
  }

  const levels = columns.bands.map((band) => `${band.level}%`).join(" and ");
  return (
    <figure className="chart" aria-label={title}>
      <div className="chart-tools">
        <span className="hint">Drag across the chart to zoom; hover to read values.</span>
        <button type="button" onClick={resetZoom}>
          Reset zoom
        </button>
      </div>
      <div ref={holder} className="chart-canvas" data-testid="forecast-chart" />
      <figcaption>
        {title}
        {levels && ` — shaded: ${levels} prediction intervals`}
      </figcaption>
    </figure>
  );
}
