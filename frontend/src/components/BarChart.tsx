// Horizontal bars, one per row, from a zero line: positive to the right, negative to the left.
// Drawn as SVG scaled to the card's width (a few bars need no canvas); each bar carries its
// label and value for screen readers (`<title>`) and tests (`data-*`).
import { Fragment } from "react";
import type { Bar } from "../lib/explanation";

const POSITIVE_COLOR = "#1f4e79"; // the history line's colour on the forecast chart
const NEGATIVE_COLOR = "#c0392b"; // the forecast line's
const LABEL_WIDTH = 210;
const PLOT_WIDTH = 330;
const VALUE_WIDTH = 80;
const ROW_HEIGHT = 28;
const BAR_HEIGHT = 18;
const WIDTH = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;

/** Where 0 sits and how many units one unit of value takes, for values on both sides. */
function scale(bars: Bar[]) {
  const low = Math.min(0, ...bars.map((bar) => bar.value));
  const high = Math.max(0, ...bars.map((bar) => bar.value));
  const span = high - low || 1;
  return { zero: LABEL_WIDTH + (-low / span) * PLOT_WIDTH, unit: PLOT_WIDTH / span };
}

export function BarChart({
  bars,
  title,
  format,
  testId,
}: {
  bars: Bar[];
  title: string;
  format: (value: number) => string;
  testId: string;
}) {
  const { zero, unit } = scale(bars);
  const height = bars.length * ROW_HEIGHT + 4;
  return (
    <svg
      className="bar-chart"
      data-testid={testId}
      role="img"
      aria-label={title}
      viewBox={`0 0 ${WIDTH} ${height}`}
      width="100%"
      style={{ maxWidth: `${WIDTH}px` }}
    >
      <title>{title}</title>
      {bars.map((bar, i) => {
        const y = i * ROW_HEIGHT + 2;
        const width = Math.abs(bar.value) * unit;
        const x = bar.value < 0 ? zero - width : zero;
        const shown = format(bar.value);
        return (
          <Fragment key={bar.group}>
            <text
              x={LABEL_WIDTH - 8}
              y={y + ROW_HEIGHT / 2}
              textAnchor="end"
              dominantBaseline="middle"
            >
              {bar.label}
            </text>
            <rect
              data-testid="bar"
              data-group={bar.group}
              data-value={bar.value}
              x={x}
              y={y + (ROW_HEIGHT - BAR_HEIGHT) / 2}
              width={width}
              height={BAR_HEIGHT}
              fill={bar.value < 0 ? NEGATIVE_COLOR : POSITIVE_COLOR}
            >
              <title>{`${bar.label}: ${shown}`}</title>
            </rect>
            <text x={WIDTH - 4} y={y + ROW_HEIGHT / 2} textAnchor="end" dominantBaseline="middle">
              {shown}
            </text>
          </Fragment>
        );
      })}
      <line x1={zero} x2={zero} y1={0} y2={height} stroke="#5b6675" strokeWidth={1} />
    </svg>
  );
}
