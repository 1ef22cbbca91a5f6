/**
 * @module core/load-script — runs one of the edge's scripts on the page itself: a `<script>` in
 * <head> (it adds nothing to the layout, and is removed once it has run) that leaves what it offers
 * on a global.
 */
export function loadScript<T>(url: string, global: string): Promise<T> {
  const g = globalThis as Record<string, unknown>;
  if (g[global]) return Promise.resolve(g[global] as T);
  return new Promise<T>((resolve, reject) => {
    const name = url.replace(/[?#].*$/, '').replace(/^.*\//, '');
    const script = document.createElement('script');
    script.src = url;
    script.async = true;
    // Once run, the element goes: the page keeps no trace of it in its document.
    script.onload = () => {
      script.remove();
      g[global] ? resolve(g[global] as T) : reject(new Error(`${name} did not load`));
    };
    script.onerror = () => {
      script.remove();
      reject(new Error(`${name} did not load`));
    };
    document.head.appendChild(script);
  });
}
