/**
 * @module edge-server/api/admin — the one `/v1/admin` sub-app: mounted once, with `authenticate` in
 * front of all of it; the admin route modules (sites, registry, profiles, dashboard) register on it
 * with `route()`, each route saying whether read-only tokens may call it.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Access } from '../storage/access';
import { type AdminEnv, authenticate } from './access';

export type AdminApp = OpenAPIHono<AdminEnv>;
export type { AdminEnv };

export function adminApp({ token, access }: { token: string; access?: Access }): AdminApp {
  const admin = new OpenAPIHono<AdminEnv>({ strict: false });
  admin.use('/v1/admin/*', authenticate({ token, access }));
  return admin;
}
