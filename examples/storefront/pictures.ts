/**
 * @module examples/storefront/pictures — each demo product's picture, drawn (an SVG, the same on
 * every start): the product's kind in its colour on its category's ground. The shop publishes them
 * the ways real shops do (the card's `<img>`, the product's JSON-LD `image`, the catalogue's `image`),
 * so the recommendation widget has pictures to show.
 */
import type { Product } from './catalog';

/** The colour words the catalogue's names end in, as paint. */
const PAINT: Record<string, string> = {
  Black: '#2b2b2e',
  Navy: '#233a63',
  Olive: '#6b7436',
  Sand: '#c9a86b',
  Rust: '#a5482a',
  Stone: '#8d8a82',
  Forest: '#2f5a3c',
  Charcoal: '#45474d',
};

/** Each category's ground: light, so the product reads on it. */
const GROUND: Record<string, [string, string]> = {
  Shoes: ['#eef3f8', '#dce6f1'],
  Jackets: ['#f1f4ee', '#dde6d5'],
  Bags: ['#f7f1ea', '#ecdfcf'],
  Watches: ['#f1eff7', '#e0dbef'],
  Headphones: ['#eef6f6', '#d6eaea'],
  Kitchen: ['#f8f0ee', '#f0dcd6'],
  Books: ['#f6f4ea', '#ebe5c9'],
  Toys: ['#f8eef4', '#efd9e6'],
  Outdoor: ['#edf5ef', '#d4e8d9'],
  Beauty: ['#f8eff0', '#f1dadd'],
};

/** The product's kind, drawn in `c` (its colour) with `d` (a shade for detail), in a 400 × 300 box. */
const SHAPES: Record<string, (c: string, d: string) => string> = {
  Shoes: (c, d) =>
    `<path d="M90 200 L110 130 Q150 120 170 150 Q215 175 300 182 Q320 186 318 210 L92 212 Z" fill="${c}"/><rect x="88" y="208" width="232" height="14" rx="7" fill="${d}"/>`,
  Jackets: (c, d) =>
    `<path d="M160 70 L200 92 L240 70 L300 95 L320 175 L292 182 L280 140 L280 240 L120 240 L120 140 L108 182 L80 175 L100 95 Z" fill="${c}"/><path d="M200 92 L200 240" stroke="${d}" stroke-width="5"/>`,
  Bags: (c, d) =>
    `<path d="M160 110 Q160 64 200 64 Q240 64 240 110" fill="none" stroke="${d}" stroke-width="12"/><rect x="110" y="105" width="180" height="140" rx="18" fill="${c}"/><rect x="150" y="140" width="100" height="30" rx="6" fill="${d}"/>`,
  Watches: (c, d) =>
    `<rect x="176" y="40" width="48" height="220" rx="14" fill="${d}"/><circle cx="200" cy="150" r="66" fill="${c}"/><circle cx="200" cy="150" r="52" fill="#f8f8f6"/><path d="M200 150 L200 112 M200 150 L226 162" stroke="#333" stroke-width="6" stroke-linecap="round"/>`,
  Headphones: (c, d) =>
    `<path d="M120 180 Q120 70 200 70 Q280 70 280 180" fill="none" stroke="${d}" stroke-width="14"/><rect x="100" y="160" width="50" height="80" rx="18" fill="${c}"/><rect x="250" y="160" width="50" height="80" rx="18" fill="${c}"/>`,
  Kitchen: (c, d) =>
    `<path d="M130 240 Q120 130 200 118 Q280 130 270 240 Z" fill="${c}"/><path d="M268 160 Q320 150 330 118" fill="none" stroke="${c}" stroke-width="14"/><path d="M160 118 Q200 70 240 118" fill="none" stroke="${d}" stroke-width="12"/><rect x="120" y="236" width="160" height="12" rx="6" fill="${d}"/>`,
  Books: (c, d) =>
    `<rect x="130" y="50" width="150" height="200" rx="6" fill="${c}"/><rect x="130" y="50" width="22" height="200" fill="${d}"/><rect x="172" y="90" width="88" height="12" rx="4" fill="#f8f8f6"/><rect x="172" y="112" width="60" height="8" rx="4" fill="#f8f8f6"/>`,
  Toys: (c, d) =>
    `<rect x="110" y="170" width="80" height="70" rx="8" fill="${c}"/><rect x="210" y="170" width="80" height="70" rx="8" fill="${d}"/><rect x="160" y="100" width="80" height="70" rx="8" fill="${c}"/><circle cx="200" cy="92" r="10" fill="${d}"/>`,
  Outdoor: (c, d) =>
    `<path d="M200 60 L320 240 L80 240 Z" fill="${c}"/><path d="M200 130 L240 240 L160 240 Z" fill="${d}"/>`,
  Beauty: (c, d) =>
    `<rect x="170" y="60" width="60" height="40" rx="8" fill="${d}"/><rect x="145" y="96" width="110" height="150" rx="22" fill="${c}"/><rect x="165" y="150" width="70" height="40" rx="6" fill="#f8f8f6"/>`,
};

/** Where a category's one shape would mislead (a chef knife drawn as a kettle), the product's own. */
const NOUN_SHAPES: Record<string, (c: string, d: string) => string> = {
  'Chef Knife': (c, d) =>
    `<path d="M70 170 L250 140 Q300 135 330 150 Q300 178 250 180 L70 182 Z" fill="#d9dde2" stroke="#aab1b9" stroke-width="3"/><rect x="250" y="136" width="10" height="48" rx="3" fill="${d}"/><rect x="258" y="144" width="90" height="30" rx="12" fill="${c}"/>`,
  Skillet: (c, d) =>
    `<ellipse cx="170" cy="170" rx="110" ry="60" fill="${d}"/><ellipse cx="170" cy="162" rx="96" ry="48" fill="${c}"/><rect x="270" y="150" width="110" height="22" rx="11" fill="${d}"/>`,
  'Dutch Oven': (c, d) =>
    `<path d="M100 140 L300 140 L290 235 Q200 255 110 235 Z" fill="${c}"/><ellipse cx="200" cy="138" rx="112" ry="22" fill="${d}"/><rect x="180" y="100" width="40" height="22" rx="8" fill="${d}"/><rect x="70" y="160" width="34" height="16" rx="8" fill="${d}"/><rect x="296" y="160" width="34" height="16" rx="8" fill="${d}"/>`,
  Grinder: (c, d) =>
    `<rect x="150" y="120" width="100" height="125" rx="12" fill="${c}"/><path d="M160 120 Q200 60 240 120 Z" fill="${d}"/><path d="M200 80 L270 70" stroke="${d}" stroke-width="8" stroke-linecap="round"/><circle cx="275" cy="69" r="10" fill="${d}"/>`,
};

/** A darker shade of a #rrggbb colour. */
const shade = (hex: string, by = 0.72) =>
  `#${[1, 3, 5]
    .map((i) =>
      Math.round(Number.parseInt(hex.slice(i, i + 2), 16) * by)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

/** The product's picture as an SVG document (4:3, like the shop's cards). */
export function productPicture(p: Product): string {
  const colour = PAINT[p.name.split(' — ').pop() ?? ''] ?? '#556070';
  const [top, bottom] = GROUND[p.category] ?? ['#f2f2f2', '#e4e4e4'];
  const noun = Object.keys(NOUN_SHAPES).find((n) => p.name.includes(` ${n} `));
  const draw = (noun && NOUN_SHAPES[noun]) || SHAPES[p.category];
  const shape = draw?.(colour, shade(colour)) ?? '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300" role="img" aria-label="${p.category}">
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>
<rect width="400" height="300" fill="url(#g)"/><ellipse cx="200" cy="262" rx="130" ry="12" fill="#000" opacity=".06"/>${shape}</svg>
`;
}

/** Where the shop serves a product's picture. */
export const pictureUrl = (p: Pick<Product, 'id'>) => `/demo/img/${p.id}.svg`;
