/**
 * A virtualised vertical list for rows of varying height (chat bubbles): only rows in or near the
 * viewport are in the DOM, so 10,000 messages cost as much as 30. Heights start as an estimate and are
 * measured with one ResizeObserver; offsets are prefix sums. It sticks to the bottom while the reader is
 * there, keeps the visible rows still when older rows are prepended, and calls onNearTop for scroll-back.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';

const OVERSCAN_PX = 600;
const BOTTOM_SLACK_PX = 48;
const NEAR_TOP_PX = 400;

export interface VirtualListProps<T> {
  items: readonly T[];
  keyOf: (item: T) => string;
  render: (item: T) => ReactNode;
  estimate: (item: T) => number;
  onNearTop?: () => void;
  label: string;
}

/** Index of the last offset ≤ y (offsets ascending, offsets[0] = 0). */
function indexAt(offsets: number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] ?? 0) <= y) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

export function VirtualList<T>({ items, keyOf, render, estimate, onNearTop, label }: VirtualListProps<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [version, setVersion] = useState(0);
  const [view, setView] = useState({ top: 0, height: 800 });
  const atBottom = useRef(true);
  /** The row at the top of the viewport and how far into it the reader is: kept in place across changes. */
  const anchor = useRef<{ key: string; delta: number } | undefined>(undefined);

  const offsets = useMemo(() => {
    const out = new Array<number>(items.length + 1);
    out[0] = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as T;
      out[i + 1] = (out[i] ?? 0) + (heights.current.get(keyOf(item)) ?? estimate(item));
    }
    return out;
    // `version` changes when a measured height does.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items, keyOf, estimate, version]);
  const total = offsets[items.length] ?? 0;
  const indexOf = useMemo(() => new Map(items.map((it, i) => [keyOf(it), i])), [items, keyOf]);
  // Event handlers outlive renders; they read the current layout and callback through this ref.
  const latest = useRef({ offsets, items, keyOf, onNearTop });
  latest.current = { offsets, items, keyOf, onNearTop };

  const observer = useMemo(
    () =>
      typeof ResizeObserver === 'undefined'
        ? undefined
        : new ResizeObserver((entries) => {
            let changed = false;
            for (const e of entries) {
              const key = (e.target as HTMLElement).dataset.key;
              if (key === undefined) continue;
              const h = Math.ceil(e.borderBoxSize[0]?.blockSize ?? e.contentRect.height);
              if (heights.current.get(key) === h) continue;
              heights.current.set(key, h);
              changed = true;
            }
            if (changed) setVersion((v) => v + 1);
          }),
    [],
  );
  useEffect(() => () => observer?.disconnect(), [observer]);
  // React 19 ref cleanup: rows leaving the window stop being observed (and can be collected).
  const measure = useCallback(
    (el: HTMLDivElement | null) => {
      if (!el || !observer) return undefined;
      observer.observe(el);
      return () => observer.unobserve(el);
    },
    [observer],
  );

  const capture = (el: HTMLDivElement) => {
    const { offsets: o, items: list, keyOf: key } = latest.current;
    // The row after the top one is the anchor: the top row may be a header whose key comes back at the
    // top after a prepend (a day separator when older messages of the same day arrive), which would
    // leave the view at the top and stop scroll-back from asking for more.
    const top = indexAt(o, el.scrollTop);
    const i = top + 1 < list.length ? top + 1 : top;
    const item = list[i];
    anchor.current = item === undefined ? undefined : { key: key(item), delta: el.scrollTop - (o[i] ?? 0) };
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
  };

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    capture(el);
    setView({ top: el.scrollTop, height: el.clientHeight });
    if (el.scrollTop < NEAR_TOP_PX) latest.current.onNearTop?.();
  };

  // After rows were added (at either end) or re-measured: stay at the bottom if the reader was there,
  // otherwise keep the anchor row where it was, so prepended history and late-loading images never move the view.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const i = anchor.current ? indexOf.get(anchor.current.key) : undefined;
    if (atBottom.current) el.scrollTop = el.scrollHeight;
    else if (anchor.current && i !== undefined) el.scrollTop = (offsets[i] ?? 0) + anchor.current.delta;
    capture(el);
    setView({ top: el.scrollTop, height: el.clientHeight });
    // Too few rows to scroll: there is no scroll event to ask for older ones, so ask now.
    if (el.scrollHeight <= el.clientHeight + NEAR_TOP_PX) latest.current.onNearTop?.();
  }, [items, total, indexOf, offsets]);

  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      setView({ top: el.scrollTop, height: el.clientHeight });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const from = indexAt(offsets, Math.max(0, view.top - OVERSCAN_PX));
  const to = Math.min(items.length - 1, indexAt(offsets, view.top + view.height + OVERSCAN_PX));
  const rows: ReactNode[] = [];
  for (let i = from; i <= to; i++) {
    const item = items[i] as T;
    const key = keyOf(item);
    rows.push(
      <div key={key} data-key={key} ref={measure} className="vrow" style={{ transform: `translateY(${offsets[i] ?? 0}px)` }}>
        {render(item)}
      </div>,
    );
  }
  return (
    <div ref={scroller} className="vlist" onScroll={onScroll} role="log" aria-label={label} tabIndex={0} data-rows={items.length}>
      <div className="vlist-inner" style={{ height: total }}>
        {rows}
      </div>
    </div>
  );
}
