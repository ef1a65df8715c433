// Draws every <canvas data-chart="ID"> from the Chart.js config in <script type="application/json" id="ID">.
// Configs are built on the server; this file only hands them to Chart.js (no inline script: CSP).
(() => {
  // A vertical dashed line at one x index, labelled (the win-rate change point).
  var marker = {
    id: 'marker',
    afterDatasetsDraw: (chart, _args, opts) => {
      if (!opts || opts.index === undefined || opts.index === null) return;
      var x = chart.scales.x.getPixelForValue(opts.index);
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = opts.color || '#b42318';
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = opts.color || '#b42318';
      ctx.font = '12px system-ui, sans-serif';
      ctx.fillText(opts.label || '', Math.min(x + 4, area.right - 120), area.top + 12);
      ctx.restore();
    },
  };
  function money(v) {
    return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(v);
  }
  function pct(v) {
    return `${Math.round(v * 100)}%`;
  }
  function withFormats(cfg) {
    var scales = cfg.options?.scales || {};
    Object.keys(scales).forEach((k) => {
      var f = scales[k].format;
      if (!f) return;
      delete scales[k].format;
      scales[k].ticks = Object.assign({}, scales[k].ticks, { callback: (v) => (f === 'money' ? money(v) : f === 'pct' ? pct(v) : v) });
    });
    return cfg;
  }
  function draw() {
    if (!window.Chart) return;
    window.Chart.register(marker);
    window.Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
    window.Chart.defaults.animation = false;
    var canvases = document.querySelectorAll('canvas[data-chart]');
    for (let i = 0; i < canvases.length; i++) {
      const c = canvases[i];
      const src = document.getElementById(c.getAttribute('data-chart'));
      if (!src) continue;
      try {
        new window.Chart(c, withFormats(JSON.parse(src.textContent)));
        c.setAttribute('data-drawn', 'true');
      } catch (e) {
        c.setAttribute('data-drawn', 'error');
        if (window.console) console.error('chart failed', c.getAttribute('data-chart'), e);
      }
    }
    document.documentElement.setAttribute('data-charts', 'drawn');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
