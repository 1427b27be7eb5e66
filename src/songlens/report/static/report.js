/* SongLens report player: playhead across the lanes, click-to-seek. No dependencies. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("sl-data").textContent);
  var span = data.span;
  var songs = data.songs.map(function (s) { return { dur: s.duration, va: s.va, t: 0 }; });

  function q(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function audio(k) { return document.querySelector('audio.sl-audio[data-song="' + k + '"]'); }
  function fmt(t) {
    var s = Math.floor(Math.max(t, 0) + 0.5), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    s = s % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }

  function vaAt(k, t) {
    var va = songs[k].va;
    if (!va.length) return null;
    if (t <= va[0][0]) return va[0];
    for (var i = 1; i < va.length; i++) {
      if (va[i][0] >= t) {
        var a = va[i - 1], b = va[i], w = (t - a[0]) / Math.max(b[0] - a[0], 1e-9);
        return [t, a[1] + w * (b[1] - a[1]), a[2] + w * (b[2] - a[2])];
      }
    }
    return va[va.length - 1];
  }

  function render(k) {
    var t = songs[k].t, pct = (100 * t / span) + "%";
    q('.ph[data-song="' + k + '"]').forEach(function (e) { e.style.left = pct; });
    q('.readout[data-song="' + k + '"]').forEach(function (e) {
      e.textContent = fmt(t) + " / " + fmt(songs[k].dur);
    });
    var p = vaAt(k, t);
    if (p) q('.va-dot[data-song="' + k + '"]').forEach(function (e) {
      e.setAttribute("cx", p[1].toFixed(3)); e.setAttribute("cy", (-p[2]).toFixed(3));
    });
    q('.claim[data-song="' + k + '"]').forEach(function (e) {
      var d = t - parseFloat(e.getAttribute("data-t"));
      e.classList.toggle("now", d >= 0 && d < 4 && document.body.classList.contains("playing"));
    });
  }

  var scroller = document.querySelector(".tl-scroll"), inner = document.querySelector(".tl-inner");
  var zoom = 1;
  function follow(k) {
    /* keep the playhead in view when the timeline is zoomed */
    if (zoom <= 1 || !scroller) return;
    var ph = document.querySelector('.ph[data-song="' + k + '"]');
    if (!ph) return;
    var s = scroller.getBoundingClientRect(), p = ph.getBoundingClientRect();
    var lab = document.querySelector(".tl-inner .lane:not(.axis) .lab");
    var labw = lab && getComputedStyle(lab).position === "sticky" ? lab.offsetWidth : 0;
    if (lab && lab.offsetTop !== lab.nextElementSibling.offsetTop) labw = 0; /* phone: label above */
    if (p.left < s.left + labw + 20 || p.left > s.right - 40) {
      scroller.scrollLeft += p.left - (s.left + labw + (s.width - labw) * 0.25);
    }
  }
  function setZoom(z) {
    zoom = z;
    if (inner) inner.style.setProperty("--zoom", String(z));
    if (z === 1 && inner) inner.removeAttribute("style");
    q("button.zoom").forEach(function (b) {
      b.classList.toggle("on", parseFloat(b.getAttribute("data-z")) === z);
    });
    follow(0);
  }

  function setTime(k, t, live) {
    songs[k].t = Math.max(0, Math.min(t, songs[k].dur));
    if (live) document.body.classList.add("live");
    render(k);
  }

  function seek(k, t, play) {
    var a = audio(k);
    t = Math.max(0, Math.min(t, songs[k].dur));
    if (a) {
      try { a.currentTime = t; } catch (err) { /* not seekable yet */ }
      if (play && a.paused) { var pr = a.play(); if (pr && pr.catch) pr.catch(function () {}); }
    }
    setTime(k, t, true);
  }
  window.songlensSeek = seek;

  var raf = null;
  function loop() {
    var any = false;
    songs.forEach(function (s, k) {
      var a = audio(k);
      if (a && !a.paused) { any = true; setTime(k, a.currentTime, true); follow(k); }
    });
    raf = any ? requestAnimationFrame(loop) : null;
  }
  songs.forEach(function (s, k) {
    var a = audio(k);
    if (!a) return;
    ["timeupdate", "seeked", "loadedmetadata"].forEach(function (ev) {
      a.addEventListener(ev, function () { setTime(k, a.currentTime, a.currentTime > 0); });
    });
    a.addEventListener("play", function () {
      document.body.classList.add("playing");
      songs.forEach(function (o, j) { var b = audio(j); if (j !== k && b && !b.paused) b.pause(); });
      if (!raf) raf = requestAnimationFrame(loop);
    });
    a.addEventListener("pause", function () {
      if (!q("audio.sl-audio").some(function (x) { return !x.paused; })) {
        document.body.classList.remove("playing");
      }
    });
  });

  document.addEventListener("click", function (ev) {
    var zb = ev.target.closest ? ev.target.closest("button.zoom") : null;
    if (zb) { setZoom(parseFloat(zb.getAttribute("data-z"))); return; }
    var el = ev.target.closest ? ev.target.closest("[data-t]") : null;
    if (el) {
      ev.preventDefault();
      var k0 = parseInt(el.getAttribute("data-song") || "0", 10);
      seek(k0, parseFloat(el.getAttribute("data-t")), true);
      follow(k0);
      return;
    }
    var plot = ev.target.closest ? ev.target.closest(".plot") : null;
    if (plot) {
      var r = plot.getBoundingClientRect();
      var t = (ev.clientX - r.left) / Math.max(r.width, 1) * span;
      seek(parseInt(plot.getAttribute("data-song") || "0", 10), t, true);
    }
  });
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if ((ev.key === "Enter" || ev.key === " ") && el.classList && el.classList.contains("claim")) {
      ev.preventDefault();
      el.click();
    }
  });
  q(".claim[data-t]").forEach(function (e) { e.setAttribute("tabindex", "0"); });
  songs.forEach(function (s, k) { render(k); });
})();
