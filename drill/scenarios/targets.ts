/** Reconnect gap after a drain that the report checks against (the original waited a fixed 2 s). */
export const GAP_TARGET_MS = 50;
