// Checks a JSON value against a schema of the OpenAPI document (the 3.0 subset Nest writes), and
// more strictly than JSON Schema: an object schema that lists its properties is closed (a field the
// document does not name is a problem unless `additionalProperties` says otherwise), so a field a
// view gains without its response class is caught, as is one the class promises and the view lacks.
type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
};
type Doc = { components?: { schemas?: Record<string, Schema> } };

const FORMATS: Record<string, RegExp> = {
  date: /^\d{4}-\d{2}-\d{2}$/,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^@\s]+@[^@\s]+$/,
};

/** Every way `value` departs from `schema`, as `path: problem` lines (empty: it fits). */
export function conform(doc: Doc, schema: Schema | undefined, value: unknown, at = '$'): string[] {
  if (!schema) return [`${at}: no schema to check against`];
  // `nullable` beside `allOf: [{$ref}]` is how Nest (and OpenAPI 3.0) says "this object, or null".
  if (value === null && schema.nullable) return [];
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return conform(doc, doc.components?.schemas?.[name], value, at);
  }
  // OpenAPI 3.0: `nullable` beside allOf (how Nest writes a nullable reference to another schema) admits null.
  if (value === null && schema.nullable && schema.allOf) return [];
  if (schema.allOf) return schema.allOf.flatMap((s) => conform(doc, s, value, at));
  if (schema.anyOf || schema.oneOf) {
    const branches = (schema.anyOf ?? schema.oneOf)!.map((s) => conform(doc, s, value, at));
    const fitting = branches.filter((p) => p.length === 0).length;
    if (schema.oneOf && fitting > 1) return [`${at}: fits ${fitting} branches of oneOf`];
    return fitting > 0 ? [] : [`${at}: fits no branch (${branches.map((p) => p[0]).join(' | ')})`];
  }
  if (value === null) return schema.nullable ? [] : [`${at}: null, and the schema is not nullable`];
  if (value === undefined) return [`${at}: missing`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'string': {
      if (typeof value !== 'string') return [`${at}: ${JSON.stringify(value)} is not a string`];
      const f = schema.format && FORMATS[schema.format];
      return f && !f.test(value) ? [`${at}: ${JSON.stringify(value)} is not a ${schema.format}`] : [];
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value)))
        return [`${at}: ${JSON.stringify(value)} is not ${type === 'integer' ? 'an integer' : 'a number'}`];
      return schema.minimum !== undefined && value < schema.minimum ? [`${at}: ${value} is below ${schema.minimum}`] : [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: ${JSON.stringify(value)} is not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return value.flatMap((v, i) => conform(doc, schema.items, v, `${at}[${i}]`));
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
      const obj = value as Record<string, unknown>;
      const props = schema.properties ?? {};
      const problems = (schema.required ?? []).filter((k) => obj[k] === undefined).map((k) => `${at}.${k}: required, missing`);
      for (const [k, v] of Object.entries(obj)) {
        if (props[k]) problems.push(...conform(doc, props[k], v, `${at}.${k}`));
        else if (typeof schema.additionalProperties === 'object') problems.push(...conform(doc, schema.additionalProperties, v, `${at}.${k}`));
        else if (schema.additionalProperties === false || (schema.additionalProperties === undefined && schema.properties))
          problems.push(`${at}.${k}: not in the document`);
      }
      return problems;
    }
    default:
      return [];
  }
}
