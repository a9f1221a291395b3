// Counts pixels of a forecast chart's canvas by colour, to check what uPlot drew. The canvas
// is transparent, so a pixel keeps the colour drawn on it and its opacity tells fills from
// lines: the interval bands are translucent red, the forecast line is opaque red; a what-if's
// scenario is drawn in green the same way. `within`: a selector of the element holding the
// chart (the page's first chart when absent).
export async function chartColourCounts(page, within = "") {
  return page.evaluate((scope) => {
    const canvas = document.querySelector(`${scope} [data-testid=forecast-chart] canvas`);
    if (!canvas) return null;
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let band = 0;
    let line = 0;
    let scenarioBand = 0;
    let scenarioLine = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, alpha] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      const red = r >= 150 && g <= 100 && b <= 100;
      const green = g >= 100 && g - r >= 50 && g - b >= 30;
      if (red && alpha >= 220) line += 1;
      else if (red && alpha > 0) band += 1;
      else if (green && alpha >= 220) scenarioLine += 1;
      else if (green && alpha > 0) scenarioBand += 1;
    }
    return { band, line, scenarioBand, scenarioLine };
  }, within);
}

// The y-axis tick labels the chart drew (it reports them on its element), the widest one's
// width in the axis font, the axis width, and how many pixels are drawn in the canvas's two
// leftmost columns: a label cut at the left edge leaves its first digit's remains there.
export async function yAxisLabels(page) {
  return page.evaluate(() => {
    const holder = document.querySelector("[data-testid=forecast-chart]");
    const canvas = holder.querySelector("canvas");
    const labels = JSON.parse(holder.dataset.yTickLabels || "[]");
    const measure = document.createElement("canvas").getContext("2d");
    measure.font = "12px system-ui, sans-serif";
    const widest = Math.max(0, ...labels.map((label) => measure.measureText(label).width));
    const { data } = canvas.getContext("2d").getImageData(0, 0, 2, canvas.height);
    let clippedPixels = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) clippedPixels += 1;
    return { labels, widest, width: Number(holder.dataset.yAxisWidth), clippedPixels };
  });
}
