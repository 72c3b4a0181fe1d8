// How the OpenAPI document describes FHIR bodies: any FHIR resource (its own specification defines
// them; the CapabilityStatement at /fhir/r4/metadata says which profiles), and the OperationOutcome
// every FHIR route's error is.
import type { ApiBodyOptions } from '@nestjs/swagger';

type SchemaObject = NonNullable<Extract<ApiBodyOptions, { schema?: unknown }>['schema']>;
export const FHIR_RESOURCE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['resourceType'],
  description: 'A FHIR R4 resource (https://hl7.org/fhir/R4/), profiled on UK Core where one applies',
  properties: { resourceType: { type: 'string', example: 'Bundle' } },
  additionalProperties: true,
};

export const OPERATION_OUTCOME_SCHEMA_NAME = 'OperationOutcome';

export const OPERATION_OUTCOME_SCHEMA = {
  type: 'object',
  required: ['resourceType', 'issue'],
  description: 'A FHIR R4 OperationOutcome: one issue per problem, `expression` its FHIRPath in the message sent',
  properties: {
    resourceType: { type: 'string', enum: ['OperationOutcome'] },
    issue: {
      type: 'array',
      items: {
        type: 'object',
        required: ['severity', 'code'],
        properties: {
          severity: { type: 'string', enum: ['fatal', 'error', 'warning', 'information'] },
          code: { type: 'string', example: 'invalid' },
          details: { type: 'object', properties: { text: { type: 'string' } } },
          diagnostics: { type: 'string' },
          expression: { type: 'array', items: { type: 'string', example: 'Bundle.entry[2].resource.identifier[0].value' } },
        },
      },
    },
  },
} as const;

/** FHIR routes: their errors are OperationOutcomes. */
export const isFhirPath = (path: string) => path.startsWith('/fhir/') || path.endsWith('/fhir');
