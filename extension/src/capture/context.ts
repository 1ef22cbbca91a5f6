/** @module capture/context — what a collector gets to work with. */
import type { AisleItem } from '@aisle/shared-models/schema/event';
import type { Logger } from '../core/logger';
import type { Channel } from './dedupe';
import type { EventFields } from './normalize';

export interface CaptureContext {
  win: Window;
  doc: Document;
  log: Logger;
  /** Hands an event to the tracker; the same type and items echoed by another channel shortly after is dropped. */
  emit(type: string, fields?: EventFields, channel?: Channel): void;
  /** The product this page is about, once a collector found it. */
  pageItem(): AisleItem | undefined;
  setPageItem(item: AisleItem): void;
}

/** A collector starts listening and returns how to stop. */
export type Collector = (ctx: CaptureContext) => () => void;
