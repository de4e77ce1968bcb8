// WCAG 2 contrast of every piece of visible text on the page.
//
// For each element holding text: its color (with the opacity of it and its
// ancestors) is blended onto its background — the first opaque background up
// the tree, with any translucent ones in between blended in — and the
// contrast ratio (L1 + 0.05) / (L2 + 0.05) of the relative luminances is
// compared with WCAG AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold).
// Returns one line per element that falls short.
() => {
  const parse = (css) => {
    const m = css.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const blend = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = parse(getComputedStyle(document.documentElement).backgroundColor) || [255, 255, 255, 1];
    if (bg[3] < 1) bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg);
    return bg;
  };
  const invisible = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0) return true;
    }
    return false;
  };
  const short = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    // Text for screen readers only (MathJax's MathML copy, visually hidden labels) has no color to see.
    if (el.closest("mjx-assistive-mml, script, style, noscript, .visually-hidden, .sr-only, svg")) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || invisible(el)) continue;
    const style = getComputedStyle(el);
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    const bg = background(el);
    const color = parse(style.color);
    const fg = blend([color[0], color[1], color[2], color[3] * opacity], bg);
    const [a, b] = [luminance(fg), luminance(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    const needed = large ? 3 : 4.5;
    if (ratio < needed) {
      short.push(`${ratio.toFixed(2)}:1 < ${needed}:1 for <${el.tagName.toLowerCase()} class="${el.className}"> ` +
                 `"${node.textContent.trim().slice(0, 40)}": ${style.color} on rgb(${bg.slice(0, 3).map(Math.round)})`);
    }
  }
  return short;
}
