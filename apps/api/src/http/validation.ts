// The validation pipe: unknown fields refused, and every bad field named in the error.
import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import { errorBody } from './http-errors.filter.js';

interface FieldError {
  field: string;
  messages: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) {
      const messages = Object.entries(e.constraints).map(([k, m]) =>
        k === 'whitelistValidation' ? `${field} is not a known field` : m.replace(new RegExp(`^${e.property}\\b`), field),
      );
      out.push({ field, messages });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const message = details.map((d) => d.messages.join('; ')).join('; ') || 'The request body is not valid';
      return new BadRequestException(errorBody(400, message, details));
    },
  });
}
