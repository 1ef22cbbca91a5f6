/** @module sync — gets events to the edge: the outbox, the engine that runs it in a worker, and the exit beacon. */
export { sendEventsBeacon } from './beacon';
export { type Connection, connectEngine } from './connect';
export { createEngine, type Engine, type EngineConfig } from './engine';
export { createOutbox, type FlushResult, type Outbox } from './outbox';
