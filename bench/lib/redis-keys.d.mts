/** Unlinks `<prefix>:*` on the Redis at `url`; throws when that Redis cannot be reached. */
export function removeRedisKeys(url: string, prefix: string): Promise<void>;
