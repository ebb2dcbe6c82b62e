import { Module } from '@nestjs/common';
import { AppEnvironmentModule } from '../app-config/app-environment.module.js';
import { AppsModule } from '../apps/apps.module.js';
import { ReleaseArchivesModule } from './release-archives.module.js';
import { ReleaseDeployer } from './release-deployer.js';
import { ReleasesController } from './releases.controller.js';
import { ReleasesService } from './releases.service.js';

/** The releases API: archives checked and stored here, deployed by the worker's ReleaseDeployer. */
@Module({ imports: [AppsModule, ReleaseArchivesModule], controllers: [ReleasesController], providers: [ReleasesService] })
export class ReleasesModule {}

/** The worker side: deploys releases as a step of the app's job. */
@Module({ imports: [AppEnvironmentModule, ReleaseArchivesModule], providers: [ReleaseDeployer], exports: [ReleaseDeployer] })
export class ReleaseWorkerModule {}
