// Counts pixels of the forecast chart's canvas by colour, to check what uPlot drew. The canvas
// is transparent, so a pixel keeps the colour drawn on it and its opacity tells fills from
// lines: the interval bands are translucent red, the forecast line is opaque red.
export async function chartColourCounts(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector("[data-testid=forecast-chart] canvas");
    if (!canvas) return null;
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let band = 0;
    let line = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, alpha] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      const red = r >= 150 && g <= 100 && b <= 100;
      if (red && alpha >= 220) line += 1;
      else if (red && alpha > 0) band += 1;
    }
    return { band, line };
  });
}
