import { describe, expect, it } from 'vitest';
import { DEFAULT_URL_PARAMS, sanitizeUrl } from './page';

describe('sanitizeUrl', () => {
  it('keeps campaign parameters and drops every other query parameter and the fragment', () => {
    expect(
      sanitizeUrl(
        'https://shop.example/p/1?utm_source=news&token=secret&email=a@b.c#access_token=xyz',
        DEFAULT_URL_PARAMS,
      ),
    ).toBe('https://shop.example/p/1?utm_source=news');
  });

  it('keeps parameters the merchant allows', () => {
    expect(
      sanitizeUrl('https://shop.example/c?page=2&sort=price&session=9', [...DEFAULT_URL_PARAMS, 'page', 'sort']),
    ).toBe('https://shop.example/c?page=2&sort=price');
  });

  it('masks e-mail addresses in the path', () => {
    expect(sanitizeUrl('https://shop.example/account/jane.doe@example.com/orders', [])).toBe(
      'https://shop.example/account/[email]/orders',
    );
  });

  it('gives nothing for URLs that do not parse or are not web pages', () => {
    expect(sanitizeUrl('not a url', [])).toBe('');
    expect(sanitizeUrl('javascript:alert(1)', [])).toBe('');
  });
});
