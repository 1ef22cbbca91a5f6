/**
 * @module test/bench/peers/datalayer — the page's GA4 `dataLayer` pushes, handed to a peer tracker
 * as they come (and those pushed before it loaded): what `aisle.js` reads from a shop's pages.
 */
export type Push = { event?: string; ecommerce?: { items?: Record<string, unknown>[] } & Record<string, unknown> };

export function onDataLayer(handle: (push: Push) => void) {
  const w = window as unknown as { dataLayer?: Push[] };
  w.dataLayer ??= [];
  const layer = w.dataLayer;
  for (const push of layer) handle(push);
  const push = layer.push.bind(layer);
  layer.push = (...items: Push[]) => {
    for (const item of items) handle(item);
    return push(...items);
  };
}
