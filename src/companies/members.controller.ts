import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentCompany, CurrentPrincipal } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext, Principal } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { ChangeRoleDto, CreatedInvitationDto, CreateInvitationDto, InvitationDto, MemberDto } from './dto/member.dto.js';
import { InvitationsService } from './invitations.service.js';
import { MembersService } from './members.service.js';

const accountParam = ApiParam({ name: 'account_id', schema: { type: 'integer', minimum: 1 } });
const idParam = ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } });

@ApiTags('members')
@CompanyRoute()
@Controller(':company_id/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  /** The company's members with their roles, in the order they joined. */
  @Get()
  @Paginated(MemberDto)
  listMembers(@CurrentCompany() company: CompanyContext, @PageQuery() page: PageRequest): Promise<Page<MemberDto>> {
    return this.members.list(company.id, page);
  }

  /** Changes a member's role; making or unmaking an owner needs an owner, and the last owner stays. */
  @Patch(':account_id')
  @RequiresRole('admin')
  @accountParam
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'It would leave the company without an owner.' })
  changeMemberRole(
    @CurrentCompany() company: CompanyContext,
    @Param('account_id') accountId: string,
    @Body() body: ChangeRoleDto,
    @Actor() actor: AuditActor,
  ): Promise<MemberDto> {
    return this.members.changeRole(company, actor, parseId(accountId, 'account_id', 'member'), body.role);
  }

  /** Removes a member: anyone may leave; admins remove others (owners only by an owner); the last owner stays. */
  @Delete(':account_id')
  @accountParam
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'It would leave the company without an owner.' })
  removeMember(
    @CurrentCompany() company: CompanyContext,
    @CurrentPrincipal() principal: Principal,
    @Param('account_id') accountId: string,
    @Actor() actor: AuditActor,
  ): Promise<MemberDto> {
    return this.members.remove(company, principal, parseId(accountId, 'account_id', 'member'), actor);
  }
}

@ApiTags('members')
@CompanyRoute('admin')
@Controller(':company_id/invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  /** The company's invitations, pending, accepted and expired (never their tokens), oldest first. */
  @Get()
  @Paginated(InvitationDto)
  listInvitations(@CurrentCompany() company: CompanyContext, @PageQuery() page: PageRequest): Promise<Page<InvitationDto>> {
    return this.invitations.list(company.id, page);
  }

  /** Invites an email with a role; the answer's token (shown once) is what the invited person accepts. */
  @Post()
  @HttpCode(200)
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The email is a member already.' })
  createInvitation(@CurrentCompany() company: CompanyContext, @Body() body: CreateInvitationDto, @Actor() actor: AuditActor): Promise<CreatedInvitationDto> {
    return this.invitations.invite(company, actor, body);
  }

  /** Withdraws an invitation not yet accepted. */
  @Delete(':id')
  @idParam
  withdrawInvitation(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Actor() actor: AuditActor): Promise<InvitationDto> {
    return this.invitations.withdraw(company.id, parseId(id, 'id', 'invitation'), actor);
  }
}
