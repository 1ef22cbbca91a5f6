/** @module examples/storefront/catalog — a believable catalogue of 300 products, the same on every start. */

import { random } from '@aisle/shared-models/util/random';
export interface Product {
  id: string;
  name: string;
  brand: string;
  category: string;
  slug: string;
  price: number;
  inStock: boolean;
  description: string;
}

export interface Category {
  name: string;
  slug: string;
  nouns: string[];
  priceRange: [number, number];
}

export const CURRENCY = 'EUR';

export const CATEGORIES: Category[] = [
  {
    name: 'Shoes',
    slug: 'shoes',
    nouns: ['Trainers', 'Boots', 'Loafers', 'Sandals', 'Runners'],
    priceRange: [39, 189],
  },
  {
    name: 'Jackets',
    slug: 'jackets',
    nouns: ['Parka', 'Rain Jacket', 'Bomber', 'Fleece', 'Gilet'],
    priceRange: [49, 329],
  },
  {
    name: 'Bags',
    slug: 'bags',
    nouns: ['Backpack', 'Tote', 'Duffel', 'Messenger Bag', 'Sling'],
    priceRange: [25, 220],
  },
  {
    name: 'Watches',
    slug: 'watches',
    nouns: ['Field Watch', 'Diver', 'Chronograph', 'Smartwatch', 'Dress Watch'],
    priceRange: [59, 649],
  },
  {
    name: 'Headphones',
    slug: 'headphones',
    nouns: ['Earbuds', 'Over-Ear Headphones', 'Studio Monitors', 'Sport Earphones', 'Headset'],
    priceRange: [19, 399],
  },
  {
    name: 'Kitchen',
    slug: 'kitchen',
    nouns: ['Chef Knife', 'Skillet', 'Dutch Oven', 'Kettle', 'Grinder'],
    priceRange: [12, 249],
  },
  {
    name: 'Books',
    slug: 'books',
    nouns: ['Cookbook', 'Field Guide', 'Novel', 'Atlas', 'Handbook'],
    priceRange: [9, 49],
  },
  {
    name: 'Toys',
    slug: 'toys',
    nouns: ['Building Set', 'Puzzle', 'Kite', 'Board Game', 'Plush Bear'],
    priceRange: [8, 89],
  },
  {
    name: 'Outdoor',
    slug: 'outdoor',
    nouns: ['Tent', 'Sleeping Bag', 'Headlamp', 'Trekking Poles', 'Camp Stove'],
    priceRange: [15, 459],
  },
  {
    name: 'Beauty',
    slug: 'beauty',
    nouns: ['Face Serum', 'Hand Cream', 'Shampoo Bar', 'Lip Balm', 'Sunscreen'],
    priceRange: [6, 79],
  },
];

const ADJECTIVES = [
  'Alpine',
  'Urban',
  'Classic',
  'Nordic',
  'Coastal',
  'Everyday',
  'Summit',
  'Studio',
  'Heritage',
  'Trail',
  'Pocket',
  'Cloud',
];
const BRANDS = ['Fjell', 'Northwind', 'Oakridge', 'Luma', 'Kestrel', 'Morrow', 'Tidewater', 'Brightline'];
const COLOURS = ['Black', 'Navy', 'Olive', 'Sand', 'Rust', 'Stone', 'Forest', 'Charcoal'];

function build(): Product[] {
  const rnd = random(20261128);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)];
  const products: Product[] = [];
  // Two products never share a name: a shopper could not tell them apart on a card.
  const taken = new Set<string>();
  for (const category of CATEGORIES) {
    for (let i = 0; i < 30; i++) {
      const noun = category.nouns[i % category.nouns.length];
      const brand = pick(BRANDS);
      let name = `${pick(ADJECTIVES)} ${noun} — ${pick(COLOURS)}`;
      // Taken: the next free adjective and colour, in order (no draw, so the rest of the shop stays as it was).
      for (let k = 0; taken.has(name); k++)
        name = `${ADJECTIVES[k % ADJECTIVES.length]} ${noun} — ${COLOURS[Math.floor(k / ADJECTIVES.length) % COLOURS.length]}`;
      taken.add(name);
      const [lo, hi] = category.priceRange;
      // Prices end in .95 or .00 like a real shop's, skewed toward the cheap end.
      const raw = lo + (hi - lo) * rnd() ** 1.6;
      const price = rnd() < 0.5 ? Math.floor(raw) + 0.95 : Math.round(raw);
      const id = `SKU-${String(products.length + 1).padStart(5, '0')}`;
      products.push({
        id,
        name,
        brand,
        category: category.name,
        slug: category.slug,
        price,
        inStock: rnd() > 0.08,
        description: `The ${name.toLowerCase()} from ${brand}: made to last, easy to care for, and backed by a two-year guarantee.`,
      });
    }
  }
  return products;
}

export const PRODUCTS: Product[] = build();
const BY_ID = new Map(PRODUCTS.map((p) => [p.id, p]));

export const productById = (id: string) => BY_ID.get(id);
export const categoryBySlug = (slug: string) => CATEGORIES.find((c) => c.slug === slug);
export const productsIn = (category: Category) => PRODUCTS.filter((p) => p.slug === category.slug);

/** Products whose name, brand or category contain every word of the query. */
export function searchProducts(query: string): Product[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  return PRODUCTS.filter((p) => {
    const text = `${p.name} ${p.brand} ${p.category}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/** Other products of the same category, nearest in price. */
export function related(product: Product, n = 4): Product[] {
  return PRODUCTS.filter((p) => p.slug === product.slug && p.id !== product.id)
    .sort((a, b) => Math.abs(a.price - product.price) - Math.abs(b.price - product.price))
    .slice(0, n);
}
