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

  it('gives nothing for pages without a product or a product without an id', () => {
    expect(productFromJsonLd({ '@type': 'Organization' })).toBeNull();
    expect(productFromJsonLd({ '@type': 'Product', name: 'No id' })).toBeNull();
  });
});
