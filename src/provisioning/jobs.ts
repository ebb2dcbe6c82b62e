import type { JobsOptions } from 'bullmq';
import type { BerthConfig } from '../config/config.js';

/** Every queue Berth uses. */
export enum QueueName {
  Storages = 'storages',
}

/** Every job name, by queue. */
export enum StorageJob {
  Create = 'storage.create',
  Update = 'storage.update',
  Delete = 'storage.delete',
}

export interface StorageJobData {
  operationId: number;
  storageId: number;
  /** The engine's verifier of the new password (create, update); never the password itself. */
  verifier?: string;
}

/**
 * One job per operation (`op-<id>`): adding it twice is a no-op. Retries back off
 * exponentially. Finished jobs are removed at once, because their data may hold a
 * password verifier and the operation row already records the outcome.
 */
export function jobOptions(config: BerthConfig, operationId: number): JobsOptions {
  return {
    jobId: `op-${operationId}`,
    attempts: config.jobs.attempts,
    backoff: { type: 'exponential', delay: config.jobs.backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}
