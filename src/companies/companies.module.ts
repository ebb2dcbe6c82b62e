import { Global, Module } from '@nestjs/common';
import { CompaniesController } from './companies.controller.js';
import { CompaniesService } from './companies.service.js';
import { MembershipsService } from './memberships.service.js';

// Global: the membership guard, which every company-scoped module relies on, needs MembershipsService.
@Global()
@Module({
  controllers: [CompaniesController],
  providers: [CompaniesService, MembershipsService],
  exports: [CompaniesService, MembershipsService],
})
export class CompaniesModule {}
