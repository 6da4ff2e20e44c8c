/**
 * New connections per second a replica is assumed to accept while another one drains: the
 * default of `RECONNECT_RATE_PER_SEC`. `npm run bench` measures the fresh replica's CPU per
 * accepted connection during a move (~0.6 ms on the development machine: ~1700 per CPU-second);
 * rounded up, as the window counts from the drain notice and the drain's own time is part of it.
 * Set it from your own measurement when replicas have more or less CPU.
 */
export const DEFAULT_RECONNECT_RATE_PER_SEC = 2000;
