import { Module } from '@nestjs/common';
import { AppEnvironmentModule } from '../app-config/app-environment.module.js';
import { AppsModule } from '../apps/apps.module.js';
import { HostArchives } from './host-archives.js';
import { HostCopies } from './host-copies.js';
import { ReleaseDeployer } from './release-deployer.js';
import { ReleaseStore } from './release-store.js';
import { ReleasesController } from './releases.controller.js';
import { ReleasesService } from './releases.service.js';

/** The releases API: archives checked and stored here, deployed by the worker's ReleaseDeployer. */
@Module({ imports: [AppsModule], controllers: [ReleasesController], providers: [ReleasesService, ReleaseStore, HostCopies] })
export class ReleasesModule {}

/** The worker side: deploys releases as a step of the app's job. */
@Module({ imports: [AppEnvironmentModule], providers: [ReleaseDeployer, ReleaseStore, HostCopies, HostArchives], exports: [ReleaseDeployer] })
export class ReleaseWorkerModule {}
