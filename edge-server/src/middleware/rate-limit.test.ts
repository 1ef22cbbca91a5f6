import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { floodGuard } from './rate-limit';

/** An app behind the flood guard, each request's client named by its `X-Client` header. */
function guarded(perClientAllRoutes: number, maxClients: number) {
  const app = new Hono();
  app.use('*', floodGuard({ perClientAllRoutes, maxClients, clientId: (c) => c.req.header('X-Client') ?? '' }));
  app.get('/', (c) => c.text('ok'));
  return async (client: string) => (await app.request('/', { headers: { 'X-Client': client } })).status;
}

describe('floodGuard', () => {
  it('refuses one client past its share and lets the others in', async () => {
    const get = guarded(3, 100);
    expect([await get('a'), await get('a'), await get('a'), await get('a')]).toEqual([200, 200, 200, 429]);
    expect(await get('b')).toBe(200);
  });

  it('keeps a heavy client’s count when many one-off addresses fill it up', async () => {
    const get = guarded(3, 10);
    for (let i = 0; i < 3; i++) await get('heavy');
    for (let i = 0; i < 20; i++) await get(`once-${i}`);
    expect(await get('heavy')).toBe(429);
  });
});
