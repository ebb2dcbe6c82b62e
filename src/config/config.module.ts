import { DynamicModule, Global, Module } from '@nestjs/common';
import { BerthConfig } from './config.js';

/** Injection token for the validated, typed configuration. */
export const CONFIG = Symbol('BerthConfig');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BerthConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: CONFIG, useValue: config }], exports: [CONFIG] };
  }
}
