import { formatClock } from '@app/protocol';
import type { BusinessItem } from './data-feed.js';

/** The business data item for `now`; `index` marks it as the n-th final item of a drain. */
export function businessItem(now: Date, index?: number): BusinessItem {
  const item: BusinessItem = { time: formatClock(now), at: now.toISOString() };
  if (index !== undefined) item.index = index;
  return item;
}
