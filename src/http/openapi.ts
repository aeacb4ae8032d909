import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Registers the generator; it must come before the routes so it sees them all. */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version,
        description: 'Loyalty voucher engine: members spend points on rewards and receive single-use codes that a POS validates in real time.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const roles = route.config?.roles;
      if (!roles || !schema) return { schema, url };
      return {
        schema: {
          ...schema,
          security: [{ bearer: [] as string[] }, { apiKey: [] as string[] }] as Array<Record<string, string[]>>,
          description: `${schema.description ?? ''}\n\nRoles: ${roles.join(', ')}`.trim(),
          'x-roles': [...roles],
        },
        url,
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
}
