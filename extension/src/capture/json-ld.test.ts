import { describe, expect, it } from 'vitest';
import { productFromJsonLd } from './json-ld';

describe('productFromJsonLd', () => {
  it('reads a Product with its offer', () => {
    const found = productFromJsonLd({
      '@context': 'https://schema.org',
      '@type': 'Product',
      sku: 'SKU-9',
      name: 'Trail Runner',
      brand: { '@type': 'Brand', name: 'Fjell' },
      category: 'Home > Shoes > Running',
      offers: { '@type': 'Offer', price: '89.95', priceCurrency: 'EUR', availability: 'https://schema.org/InStock' },
    });
    expect(found).toEqual({
      item: {
        item_id: 'SKU-9',
        item_name: 'Trail Runner',
        item_brand: 'Fjell',
        item_category: 'Running',
        price: 89.95,
        in_stock: true,
      },
      currency: 'EUR',
    });
  });

  it('finds the Product inside an @graph or a list, and takes the first of several offers', () => {
    const found = productFromJsonLd([
      { '@type': 'BreadcrumbList' },
      {
        '@graph': [
          { '@type': ['Product', 'Thing'], productID: 'P1', offers: [{ lowPrice: 10, priceCurrency: 'USD' }] },
        ],
      },
    ]);
    expect(found?.item).toEqual({ item_id: 'P1', price: 10 });
  });

  it('takes the product’s picture (a URL, an ImageObject or a list), resolved against the page, http(s) only', () => {
    const base = 'https://shop.example/p/9';
    const image = (image: unknown) => productFromJsonLd({ '@type': 'Product', sku: 'S', image }, base)?.item.item_image;
    expect(image('/img/s.jpg')).toBe('https://shop.example/img/s.jpg');
    expect(image(['https://cdn.example/a.jpg', 'https://cdn.example/b.jpg'])).toBe('https://cdn.example/a.jpg');
    expect(image({ '@type': 'ImageObject', url: 'https://cdn.example/c.jpg' })).toBe('https://cdn.example/c.jpg');
    expect(image([{ contentUrl: 'd.jpg' }])).toBe('https://shop.example/p/d.jpg');
    for (const bad of ['javascript:alert(1)', 'data:image/png;base64,AAAA', 'https://x/'.padEnd(3000, 'a'), 42, {}, ''])
      expect(image(bad)).toBeUndefined();
  });

  it('gives nothing for pages without a product or a product without an id', () => {
    expect(productFromJsonLd({ '@type': 'Organization' })).toBeNull();
    expect(productFromJsonLd({ '@type': 'Product', name: 'No id' })).toBeNull();
  });
});
