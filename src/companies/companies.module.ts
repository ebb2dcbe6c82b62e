import { Global, Module } from '@nestjs/common';
import { CompaniesController, CompanyController, InvitationAcceptController } from './companies.controller.js';
import { CompaniesService } from './companies.service.js';
import { InvitationsService } from './invitations.service.js';
import { InvitationsController, MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';
import { MembershipsService } from './memberships.service.js';

// Global: the membership guard, which every company-scoped module relies on, needs MembershipsService.
@Global()
@Module({
  controllers: [CompaniesController, CompanyController, MembersController, InvitationsController, InvitationAcceptController],
  providers: [CompaniesService, MembershipsService, MembersService, InvitationsService],
  exports: [CompaniesService, MembershipsService],
})
export class CompaniesModule {}
