import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { addressKey, type ClientAddressOptions, clientAddress } from './client-address';

/** The client key `clientAddress` gives a request with these headers. */
async function keyOf(options: ClientAddressOptions, headers: Record<string, string>) {
  const app = new Hono();
  const of = clientAddress(options);
  app.get('/', (c) => c.text(of(c)));
  return (await app.request('/', { headers })).text();
}

describe('clientAddress', () => {
  it('takes the address the trusted proxy saw, not what the client wrote before it', async () => {
    expect(await keyOf({ trustedHops: 1 }, { 'X-Forwarded-For': '6.6.6.6, 10.0.0.1' })).toBe('10.0.0.1');
    expect(await keyOf({ trustedHops: 2 }, { 'X-Forwarded-For': '6.6.6.6, 10.0.0.1, 192.168.1.5' })).toBe('10.0.0.1');
    // Fewer entries than proxies: not through them all; the peer is all there is (none in-process).
    expect(await keyOf({ trustedHops: 2 }, { 'X-Forwarded-For': '6.6.6.6' })).toBe('unknown');
    expect(await keyOf({}, { 'X-Forwarded-For': '6.6.6.6' })).toBe('unknown');
  });

  it('uses the header the proxy sets when one is configured', async () => {
    expect(
      await keyOf({ header: 'X-Real-IP', trustedHops: 1 }, { 'X-Real-IP': '10.9.8.7', 'X-Forwarded-For': '1.2.3.4' }),
    ).toBe('10.9.8.7');
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped one as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('[::1]')).toBe('0:0:0:0::/64');
  });
});
