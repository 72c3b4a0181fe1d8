// Path ids must be UUIDs; anything else is a 400 naming the parameter.
import { BadRequestException, ParseUUIDPipe } from '@nestjs/common';
import { errorBody } from './http-errors.filter.js';

export const uuidParam = (name: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => new BadRequestException(errorBody(400, `${name} must be a UUID`, [{ field: name, messages: [`${name} must be a UUID`] }])),
  });
