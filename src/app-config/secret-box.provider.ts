import type { Provider } from '@nestjs/common';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { SecretBox } from './secret-box.js';

export const SECRET_BOX = Symbol('SECRET_BOX');

export const secretBoxProvider: Provider = {
  provide: SECRET_BOX,
  inject: [CONFIG],
  useFactory: (config: BerthConfig) => new SecretBox(config.appConfig),
};
