import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the CSPRNG at a time: one call for 256 connection ids, 128 keys. */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let next = 0;

/**
 * `n` fresh random bytes from the operating system's CSPRNG (as `randomBytes`), drawn a
 * pool at a time: one `randomFillSync` per 4 KiB instead of one per id and key, which
 * the connect profile showed costing more than the HMACs. No byte is handed out twice.
 */
export function randomBytesPooled(n: number): Buffer {
  if (n > POOL_BYTES) {
    const big = Buffer.alloc(n);
    return randomFillSync(big);
  }
  if (next + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    next = 0;
  }
  // A copy: the caller owns it, and the pool's bytes are never seen twice.
  const bytes = Buffer.from(pool.subarray(next, next + n));
  next += n;
  return bytes;
}
