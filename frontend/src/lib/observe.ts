// One IntersectionObserver and one ResizeObserver shared by every bar on the page: with 1,000 rows,
// a bar is drawn only while it is on (or near) the screen, and redrawn when its width changes.

type Callback = (visible: boolean, width: number) => void;

interface Entry {
  visible: boolean;
  width: number;
  cb: Callback;
}

const entries = new Map<Element, Entry>();
let intersection: IntersectionObserver | null = null;
let resize: ResizeObserver | null = null;

function ensure() {
  if (intersection || typeof IntersectionObserver === "undefined") return;
  intersection = new IntersectionObserver(
    (changes) => {
      for (const change of changes) {
        const entry = entries.get(change.target);
        if (!entry) continue;
        entry.visible = change.isIntersecting;
        if (change.boundingClientRect.width) entry.width = change.boundingClientRect.width;
        entry.cb(entry.visible, entry.width);
      }
    },
    { rootMargin: "400px 0px" },
  );
  if (typeof ResizeObserver !== "undefined") {
    resize = new ResizeObserver((changes) => {
      for (const change of changes) {
        const entry = entries.get(change.target);
        if (!entry) continue;
        const width = change.contentRect.width;
        if (width !== entry.width) {
          entry.width = width;
          entry.cb(entry.visible, width);
        }
      }
    });
  }
}

/** Calls ``cb`` when ``el`` comes near the viewport or leaves it, and when its width changes. */
export function observe(el: Element, cb: Callback): () => void {
  ensure();
  if (!intersection) {
    // No observers (old browsers, jsdom): treat the element as always visible.
    cb(true, el.getBoundingClientRect().width);
    return () => {};
  }
  // No geometry read here: with 1,000 rows that would force a layout per row. The observers
  // report the width with their first callback.
  entries.set(el, { visible: false, width: 0, cb });
  intersection.observe(el);
  resize?.observe(el);
  return () => {
    entries.delete(el);
    intersection?.unobserve(el);
    resize?.unobserve(el);
  };
}
