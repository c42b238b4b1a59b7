// A box's or a person's match scores: confirmed and rejected matches per score bin, with the
// current threshold and the suggested one drawn as lines (a small plugin: no annotation library).
(function () {
  "use strict";
  const gettext = window.gettext || ((text) => text);
  const data = JSON.parse(document.getElementById("scores-data").textContent);
  const bins = data.histogram;
  const labels = bins.starts.map((start) => `${start.toFixed(2)}–${(start + bins.bin_width).toFixed(2)}`);
  const lines = [{value: data.threshold, color: "#6c757d", label: gettext("current threshold")}];
  if (data.suggested !== null) lines.push({value: data.suggested, color: "#fd7e14", label: gettext("suggested threshold")});

  const thresholdLines = {
    id: "thresholdLines",
    afterDatasetsDraw(chart) {
      const {ctx, chartArea: area, scales: {x}} = chart;
      const step = x.getPixelForValue(1) - x.getPixelForValue(0);
      lines.forEach((line, index) => {
        // Bin i is centred on tick i: a score falls (value / width - 0.5) ticks from the first.
        const left = x.getPixelForValue(0) + (line.value / bins.bin_width - 0.5) * step;
        ctx.save();
        ctx.strokeStyle = ctx.fillStyle = line.color;
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(left, area.top);
        ctx.lineTo(left, area.bottom);
        ctx.stroke();
        ctx.font = "12px system-ui, sans-serif";
        ctx.fillText(`${line.label} ${line.value.toFixed(2)}`, left + 4, area.top + 12 + index * 15);
        ctx.restore();
      });
    },
  };

  new Chart(document.getElementById("scores-chart"), {
    type: "bar",
    data: {labels, datasets: [
      {label: gettext("confirmed"), data: bins.confirmed, backgroundColor: "#198754"},
      {label: gettext("rejected"), data: bins.rejected, backgroundColor: "#dc3545"},
    ]},
    options: {animation: false,
      scales: {x: {stacked: true, title: {display: true, text: gettext("score")}},
               y: {stacked: true, beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: gettext("matches")}}}},
    plugins: [thresholdLines],
  });
})();
