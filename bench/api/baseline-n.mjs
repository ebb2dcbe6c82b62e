// Baseline N: the framework's own floor. A bare NestJS 12 application on the
// Fastify adapter with one controller answering the same constant JSON as R, no
// logger, guards, pipes or database. Not a target: it shows how much of the gap
// between Berth's trivial route and R is NestJS + Fastify itself.
// Started by run.mjs through child_process.fork(), like the other baselines.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

// Plain JavaScript: decorators applied by hand instead of with @ syntax.
class VersionController {
  version() {
    return { name: 'berth', version: '0.0.0-baseline' };
  }
}
Get()(VersionController.prototype, 'version', Object.getOwnPropertyDescriptor(VersionController.prototype, 'version'));
Controller()(VersionController);
class BaselineModule {}
Module({ controllers: [VersionController] })(BaselineModule);

const app = await NestFactory.create(BaselineModule, new FastifyAdapter(), { logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.getHttpServer().address();
if (process.send) process.send({ ready: true, port });
else console.log(`baseline N listening on http://127.0.0.1:${port}/`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 1000).unref();
  app.close().then(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
