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
const BAND_ALPHA = [0.14, 0.28, 0.4];
const HEIGHT = 360;

function bandFill(index: number): string {
  return `rgba(192, 57, 43, ${BAND_ALPHA[Math.min(index, BAND_ALPHA.length - 1)]})`;
}

function chartOptions(columns: ChartColumns, width: number): uPlot.Options {
  const value = (_u: uPlot, v: number | null) => (v === null ? "—" : formatNumber(v));
  const edges: uPlot.Series[] = columns.bands.flatMap((band) => [
    { label: `${band.level}% lower`, stroke: "transparent", value, points: { show: false } },
    { label: `${band.level}% upper`, stroke: "transparent", value, points: { show: false } },
  ]);
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => formatNumber(t, 2)) }],
    series: [
      {},
      { label: "Actual", stroke: HISTORY_COLOR, width: 1.5, value },
      { label: "Forecast", stroke: FORECAST_COLOR, width: 2, dash: [6, 3], value },
      ...edges,
    ],
    bands: columns.bands.map((_band, i) => ({
      series: [4 + 2 * i, 3 + 2 * i] as [number, number],
      fill: bandFill(i),
    })),
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
    const chart = new uPlot(chartOptions(columns, width), data as uPlot.AlignedData, element);
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
