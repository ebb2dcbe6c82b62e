import type { JobsOptions } from 'bullmq';
import type { BerthConfig } from '../config/config.js';

/** Every queue Berth uses. */
export enum QueueName {
  Storages = 'storages',
  Apps = 'apps',
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

export enum AppJob {
  /** Make the app's infrastructure match its row, and finish its unfinished operation. */
  Converge = 'app.converge',
}

/** What an app operation does; its `kind`. */
export enum AppOperation {
  Create = 'app.create',
  Update = 'app.update',
  Start = 'app.start',
  Stop = 'app.stop',
  Restart = 'app.restart',
  Rebuild = 'app.rebuild',
  Delete = 'app.delete',
  /** A config version applied: the container made again with the new environment. */
  Config = 'app.config',
  /** A release deployed into /srv/app (an archive, or a snapshot of what is there). */
  Deploy = 'app.deploy',
  /** An earlier release's files and config deployed again. */
  Rollback = 'app.rollback',
  /** Moved to another node with its /srv (a node being drained). */
  Move = 'app.move',
}

export interface AppJobData {
  appId: number;
}

/** The one job id of an app: at most one job per app waits or runs, so two workers never act on it at once. */
export function appJobId(appId: number): string {
  return `app-${appId}`;
}

/**
 * App jobs carry only the app's id: the job reads what to do from the database
 * when it runs, so a deduplicated add loses nothing.
 */
export function appJobOptions(config: BerthConfig, appId: number): JobsOptions {
  return {
    jobId: appJobId(appId),
    attempts: config.jobs.attempts,
    backoff: { type: 'exponential', delay: config.jobs.backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}

/**
 * A failure as an operation's message says it: at most 500 characters, and
 * `secret` (a storage password's verifier, which driver messages may quote) never in it.
 */
export function failureMessage(err: unknown, secret?: string): string {
  let message = err instanceof Error ? err.message : String(err);
  if (secret) message = message.split(secret).join('[redacted]');
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
