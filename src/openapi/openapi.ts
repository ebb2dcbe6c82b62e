import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BEARER_SCHEME, TOKEN_SCHEME } from '../common/access/access.decorator.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { BerthConfig } from '../config/config.js';

export const DOCS_PATH = 'api/docs';
const ERROR_SCHEMA = { $ref: getSchemaPath(ErrorResponseDto) };

function sortKeys<T extends Record<string, unknown>>(object: T | undefined): T | undefined {
  if (!object) return object;
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b))) as T;
}

/** The OpenAPI document, in a stable order so the committed file only changes when the API does. */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Berth API')
    .setDescription(
      'Multi-tenant hosting API in the Rosti dialect. Authenticate with `Authorization: Token <token>` ' +
        '(or `Bearer <token>`). Every error has the shape of `ErrorResponse`.',
    )
    .setVersion(version)
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This Berth installation')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization', description: 'The word `Token`, a space, then the token.' }, TOKEN_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'berth…', description: 'The same token as a bearer token.' }, BEARER_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
    extraModels: [ErrorResponseDto],
  });
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Array<{ security?: unknown[]; responses?: Record<string, unknown>; requestBody?: { content?: Record<string, { schema: unknown }> } }>) {
      if (typeof operation !== 'object' || !operation.responses) continue;
      // @ApiBody gives every media type the same schema: an archive is bytes, not the JSON form's DTO.
      const gzip = operation.requestBody?.content?.['application/gzip'];
      if (gzip) gzip.schema = { type: 'string', format: 'binary' };
      // Routes without a security requirement are the deliberately public ones: say so explicitly.
      operation.security ??= [];
      operation.responses['4XX'] ??= { description: 'Client error.', content: { 'application/json': { schema: ERROR_SCHEMA } } };
      operation.responses['5XX'] ??= { description: 'Server error or backing service unavailable.', content: { 'application/json': { schema: ERROR_SCHEMA } } };
    }
  }
  document.paths = sortKeys(document.paths)!;
  if (document.components) document.components.schemas = sortKeys(document.components.schemas);
  document.tags = [...(document.tags ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return document;
}

export function setupOpenApi(app: INestApplication, config: BerthConfig): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, config.version), {
    jsonDocumentUrl: `${DOCS_PATH}/openapi.json`,
  });
}
