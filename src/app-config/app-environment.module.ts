import { Module } from '@nestjs/common';
import { AppEnvironment } from './app-environment.js';
import { SECRET_BOX, secretBoxProvider } from './secret-box.provider.js';

/** The sealing key and the environments it opens: for the API (changes) and the worker (containers). */
@Module({ providers: [secretBoxProvider, AppEnvironment], exports: [SECRET_BOX, AppEnvironment] })
export class AppEnvironmentModule {}
