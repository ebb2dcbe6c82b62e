import { Module } from '@nestjs/common';
import { HostArchives } from './host-archives.js';
import { HostCopies } from './host-copies.js';
import { ReleaseStore } from './release-store.js';

/**
 * The release store and this host's copies, one of each per process whichever roles it runs: an
 * API and a worker in one process share them, and the copies are checked against the database by
 * one HostArchives, not one per role.
 */
@Module({ providers: [ReleaseStore, HostCopies, HostArchives], exports: [ReleaseStore, HostCopies] })
export class ReleaseArchivesModule {}
