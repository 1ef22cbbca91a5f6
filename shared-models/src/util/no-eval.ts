/**
 * @module shared-models/util/no-eval — imported for its effect, first, by browser entries only:
 * zod then validates without `new Function` (its speed-up, and its probe for it, which runs as
 * soon as a schema is built). A shop's or the dashboard's Content-Security-Policy refuses code made
 * at run time and reports each refusal in the console. The edge keeps the faster compiled validators.
 */
import { config } from 'zod';

config({ jitless: true });
