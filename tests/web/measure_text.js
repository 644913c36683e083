// Run in the page (Playwright's page.evaluate): every rendered element that directly holds
// text, with what its contrast depends on. The ratio itself is computed in Python
// (tests/web/contrast.py), so the formula is tested once, outside the browser.
(root) => {
  const scope = root ? document.querySelector(root) : document.body;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    const cls = el.getAttribute("class");
    if (cls) name += "." + cls.trim().split(/\s+/).join(".");
    return name;
  };
  // What is under the text: background colours from the element up to the root, stopping at
  // the first opaque one (a translucent layer is composited over the ones below it).
  const backdrop = (el) => {
    const layers = [];
    let images = [];
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== "none") images.push(describe(node));
      const bg = style.backgroundColor;
      layers.push(bg);
      const alpha = bg.startsWith("rgba") ? parseFloat(bg.split(/[,/]/).pop()) : 1;
      if (alpha >= 1) break;
    }
    return { layers, images };
  };
  const isSvg = (el) => el instanceof SVGElement;
  const records = [];
  const candidates = [scope, ...scope.querySelectorAll("*")];
  for (const el of candidates) {
    const text = [...el.childNodes]
      .filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent)
      .join("")
      .replace(/\s+/g, " ")
      .trim();
    if (!text) continue;
    if (["SCRIPT", "STYLE", "TITLE", "title"].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    const rects = el.getClientRects();
    if (rects.length === 0 || style.visibility !== "visible") continue; // not rendered
    // Visually hidden text (the bars' tooltips until focused) is read, not seen.
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    let opacity = 1;
    for (let node = el; node; node = node.parentElement) {
      opacity *= parseFloat(getComputedStyle(node).opacity);
    }
    const { layers, images } = backdrop(el);
    records.push({
      element: describe(el),
      text: text.slice(0, 60),
      // SVG text is painted with fill, HTML text with color.
      color: isSvg(el) ? style.fill : style.color,
      fontSizePx: parseFloat(style.fontSize),
      fontWeight: parseInt(style.fontWeight, 10),
      opacity,
      layers,
      images,
    });
  }
  return records;
}
